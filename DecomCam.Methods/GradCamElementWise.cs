using DecomCamNet.Cam;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace DecomCamNet;

/// <summary>
/// Grad-CAM element-wise (pytorch-grad-cam): the positive part of each gradient × activation product, summed over the
/// channels, L = Σ_k ReLU(G_k ⊙ A_k); unlike HiResCAM, negative products cannot cancel positive ones.
/// </summary>
public sealed class GradCamElementWise : CamMethod
{
    /// <summary>Grad-CAM element-wise on one target layer.</summary>
    public GradCamElementWise(nn.Module<Tensor, Tensor> model, CamLayer layer, ILogger? logger = null) : this(model, new[] { layer }, logger) { }

    /// <summary>Grad-CAM element-wise averaged over several target layers.</summary>
    public GradCamElementWise(nn.Module<Tensor, Tensor> model, IReadOnlyList<CamLayer> layers, ILogger? logger = null) : base(model, layers, logger) { }

    /// <inheritdoc />
    public override string Name => "gradcamelementwise";

    /// <inheritdoc />
    protected override LayerMap ComputeLayerMap(CamContext context, int layer) =>
        LayerMap.OfChannels(nn.functional.relu(context.GradientsOf(layer) * context.Activations[layer]));
}
