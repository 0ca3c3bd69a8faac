using TorchSharp;
using Microsoft.Extensions.Logging;
using TorchSharp.Modules;
using DecomCamNet.Cam;
using static TorchSharp.torch;
using DecomCamNet.Models;

namespace DecomCamNet;

/// <summary>Options of <see cref="ClassicCam"/>.</summary>
/// <param name="Classifier">The final linear layer (a module or its dotted name) that maps the globally pooled features to
/// the class scores: a <see cref="Linear"/> module or an <see cref="ILinearLayer"/> (an imported Gemm or MatMul node).
/// Null (default): the model's last such layer.</param>
public sealed record ClassicCamOptions(CamLayer? Classifier = null);

/// <summary>
/// CAM (Zhou et al., 2016), the original class activation map: for a network that ends in global average pooling and one
/// linear layer, the classifier's weights of the target class weight the channels of the last feature map,
/// L = Σ_k W_{c,k} A_k. Gradient-free. It explains classes of the model's own output only (not custom or CLIP prompt
/// targets), and the layer's channel count must equal the classifier's input width.
/// </summary>
public sealed class ClassicCam : CamMethod
{
    private readonly nn.Module _classifier;

    /// <summary>CAM on one target layer (the feature map that is pooled into the classifier).</summary>
    public ClassicCam(nn.Module<Tensor, Tensor> model, CamLayer layer, ClassicCamOptions? options = null, ILogger? logger = null)
        : this(model, new[] { layer }, options, logger) { }

    /// <summary>CAM averaged over several target layers (each must have the classifier's input width).</summary>
    /// <exception cref="ArgumentException">The classifier is not a linear layer of the model, or the model has none.</exception>
    public ClassicCam(nn.Module<Tensor, Tensor> model, IReadOnlyList<CamLayer> layers, ClassicCamOptions? options = null, ILogger? logger = null)
        : base(model, layers, logger)
    {
        (ClassifierName, _classifier) = ClassifierLookup.Find(model, options?.Classifier, "CAM", "ClassicCamOptions.Classifier");
        Logger.LogDebug("CAM reads the class weights of {Classifier}", ClassifierName);
    }

    /// <inheritdoc />
    public override string Name => "cam";

    /// <summary>The dotted name of the linear layer whose weights are used.</summary>
    public string ClassifierName { get; }

    /// <inheritdoc />
    protected override bool RequiresGradients => false;

    /// <inheritdoc />
    protected override LayerMap ComputeLayerMap(CamContext context, int layer)
    {
        var a = context.Activations[layer];
        if (!context.TargetsModelClasses)
            throw new CamException("CAM weights channels by the classifier's row of a class: it needs class targets of the model's own output, not a custom or head target.");
        using var weight = ClassifierLookup.Weight(_classifier)!;
        if (weight.shape[1] != a.shape[1])
            throw new CamException($"Layer '{context.LayerNames[layer]}' has {a.shape[1]} channels but the classifier '{ClassifierName}' takes {weight.shape[1]} inputs: CAM needs the feature map that is pooled into it.");
        var classes = context.Classes!;
        using var classCount = weight.shape[0].ToScalar();
        long bad = classes.ge(classCount).sum().item<long>();
        if (bad > 0)
            throw new CamException($"The classifier '{ClassifierName}' has {weight.shape[0]} outputs; a target class is beyond them.");
        return LayerMap.Weighted(weight.index_select(0, classes).to(a.dtype), a);
    }
}
