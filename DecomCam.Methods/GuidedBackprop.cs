using DecomCamNet.Cam;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace DecomCamNet;

/// <summary>
/// Guided Backpropagation (Springenberg et al., 2015): the gradient of the target score with respect to the input pixels,
/// with every ReLU module's backward letting a gradient through only where its forward input and the incoming gradient
/// are both positive (see <see cref="GuidedBackpropagation"/>; the model is unchanged after the call).
/// pytorch-grad-cam returns this gradient itself, [H,W,3] per image. Here the gradient is the intermediate
/// <c>guided_gradient</c> [M,C,H,W], and the map is its largest magnitude over the input channels,
/// L = max_c |∂S/∂x_c| (the saliency convention of Simonyan et al.), min-max normalised per image like every map.
/// The target layer does not enter the formula (the gradient is the input's); it only names the result's entries, as
/// every method has one. One extra forward and backward pass with the guided ReLUs. Needs
/// <see cref="TorchSharp.Modules.ReLU"/> modules; <see cref="CamMethod.EigenSmooth"/> does not apply.
/// </summary>
public sealed class GuidedBackprop : CamMethod
{
    /// <summary>Guided Backpropagation, with the results' entries named after <paramref name="layer"/>.</summary>
    /// <exception cref="ArgumentException">The model has no ReLU module, or the layer is not in the model.</exception>
    public GuidedBackprop(nn.Module<Tensor, Tensor> model, CamLayer layer, ILogger? logger = null) : this(model, new[] { layer }, logger) { }

    /// <summary>Guided Backpropagation, with the results' entries named after <paramref name="layers"/>.</summary>
    /// <exception cref="ArgumentException">The model has no ReLU module, or a layer is not in the model.</exception>
    public GuidedBackprop(nn.Module<Tensor, Tensor> model, IReadOnlyList<CamLayer> layers, ILogger? logger = null)
        : base(GuidedModel(model), layers, logger) { }

    /// <inheritdoc />
    public override string Name => "guidedbackprop";

    /// <inheritdoc />
    protected override bool RequiresGradients => false;

    /// <inheritdoc />
    protected override LayerMapKind MapKind => LayerMapKind.Other;

    /// <inheritdoc />
    protected override LayerMap ComputeLayerMap(CamContext context, int layer)
    {
        var gradient = context.GuidedInputGradient();
        return new LayerMap(gradient.abs().amax(new long[] { 1 }), new Dictionary<string, Tensor> { ["guided_gradient"] = gradient });
    }

    /// <summary><paramref name="model"/>, checked to have ReLU modules before any hook is registered.</summary>
    internal static nn.Module<Tensor, Tensor> GuidedModel(nn.Module<Tensor, Tensor> model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (GuidedBackpropagation.ReluModules(model).Count == 0)
            throw new ArgumentException("Guided Backpropagation needs ReLU modules (TorchSharp.Modules.ReLU, or an imported graph's Relu nodes) " +
                "to guide; the model has none (it applies its rectifiers as functions, or has none).", nameof(model));
        return model;
    }
}
