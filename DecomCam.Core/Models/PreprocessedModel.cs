using static TorchSharp.torch;

namespace DecomCamNet.Models;

/// <summary>
/// A model that runs a fixed preprocessing module on its input first, <c>model(preprocess(x))</c>, such as ML.NET's
/// <c>ResNetPreprocess.onnx</c> (RGB to BGR, minus a mean image) in front of its ResNet-18 featurizer. The preprocessing
/// is part of what is explained: masked-forward methods mask the image before it, and input-gradient terms are taken
/// with respect to the image. Layers keep the model's names (<c>layer4</c>, or an ONNX graph's node names); their module
/// paths gain the prefix <c>model.</c>.
/// </summary>
public sealed class PreprocessedModel : nn.Module<Tensor, Tensor>, ILayerNameMap
{
    private readonly nn.Module<Tensor, Tensor> preprocess;
    private readonly nn.Module<Tensor, Tensor> model;

    /// <summary>Composes <paramref name="preprocess"/> and <paramref name="model"/>; both become submodules (and are disposed with this one).</summary>
    public PreprocessedModel(nn.Module<Tensor, Tensor> preprocess, nn.Module<Tensor, Tensor> model) : base(nameof(PreprocessedModel))
    {
        this.preprocess = preprocess ?? throw new ArgumentNullException(nameof(preprocess));
        this.model = model ?? throw new ArgumentNullException(nameof(model));
        RegisterComponents();
    }

    /// <summary>The model that the preprocessing feeds.</summary>
    public nn.Module<Tensor, Tensor> Model => model;

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var prepared = preprocess.call(input);
        return model.call(prepared);
    }

    /// <inheritdoc />
    public string ToModulePath(string name) =>
        $"{nameof(model)}." + (model is ILayerNameMap map ? map.ToModulePath(name) : name);
}
