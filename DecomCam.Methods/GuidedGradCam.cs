using DecomCamNet.Cam;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace DecomCamNet;

/// <summary>
/// Guided Grad-CAM (Selvaraju et al., 2017): the Grad-CAM map, upsampled to the input, times the Guided Backpropagation
/// gradient, G_guided ⊙ L_GradCAM per input channel (pytorch-grad-cam's usage: <c>cam_mask * gb</c>, with the final
/// Grad-CAM map in [0,1]). Intermediates per layer: <c>gradcam</c> [M,H,W], the layer's Grad-CAM map at input size;
/// <c>guided_gradient</c> [M,C,H,W] (<see cref="GuidedBackprop"/>); <c>guided_gradcam</c> [M,C,H,W], their product
/// (with one layer, the method's product). The map is the product's largest magnitude over the input channels,
/// max_c |L_GradCAM ⊙ G_guided,c|, min-max normalised per image; <see cref="CamResult.RawMaps"/> hold Grad-CAM's raw maps.
/// One forward and backward for Grad-CAM plus one with guided ReLUs. Needs <see cref="TorchSharp.Modules.ReLU"/> modules.
/// <see cref="CamMethod.EigenSmooth"/> applies to the Grad-CAM part.
/// </summary>
public sealed class GuidedGradCam : CamMethod
{
    /// <summary>Guided Grad-CAM with Grad-CAM on one target layer.</summary>
    /// <exception cref="ArgumentException">The model has no ReLU module, or the layer is not in the model.</exception>
    public GuidedGradCam(nn.Module<Tensor, Tensor> model, CamLayer layer, ILogger? logger = null) : this(model, new[] { layer }, logger) { }

    /// <summary>Guided Grad-CAM with Grad-CAM averaged over several target layers.</summary>
    /// <exception cref="ArgumentException">The model has no ReLU module, or a layer is not in the model.</exception>
    public GuidedGradCam(nn.Module<Tensor, Tensor> model, IReadOnlyList<CamLayer> layers, ILogger? logger = null)
        : base(GuidedBackprop.GuidedModel(model), layers, logger) { }

    /// <inheritdoc />
    public override string Name => "guidedgradcam";

    /// <inheritdoc />
    protected override LayerMap ComputeLayerMap(CamContext context, int layer) =>
        LayerMap.Weighted(context.GradientsOf(layer).mean(new long[] { 2, 3 }), context.Activations[layer]);

    /// <inheritdoc />
    protected override IReadOnlyDictionary<string, Tensor> RawMapIntermediates(CamContext context, int layer, Tensor raw)
    {
        var gradcam = CamKernels.Resize(CamKernels.ReluNormalize(raw), context.Height, context.Width);
        var guided = context.GuidedInputGradient();
        return new Dictionary<string, Tensor>
        {
            ["gradcam"] = gradcam,
            ["guided_gradient"] = guided,
            ["guided_gradcam"] = gradcam.unsqueeze(1) * guided,
        };
    }

    /// <inheritdoc />
    protected override Tensor Combine(CamContext context, IReadOnlyList<Tensor> raws) =>
        CamKernels.NormalizePerImage(base.Combine(context, raws) * context.GuidedInputGradient().abs().amax(new long[] { 1 }));
}
