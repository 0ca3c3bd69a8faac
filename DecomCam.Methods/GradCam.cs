using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace DecomCamNet;

/// <summary>
/// Grad-CAM (Selvaraju et al., 2017): each channel is weighted by the spatial mean of its gradient,
/// w_k = mean_{h,w} G_k, and L = ReLU(Σ_k w_k A_k).
/// </summary>
/// <example><code>
/// using var cam = new GradCam(model, "layer4");
/// using var result = cam.Explain(input, 238);
/// </code></example>
public sealed class GradCam : GradientWeightedCam
{
    /// <summary>Grad-CAM on one target layer (a module or its dotted name).</summary>
    public GradCam(nn.Module<Tensor, Tensor> model, CamLayer layer, ILogger? logger = null) : this(model, new[] { layer }, logger) { }

    /// <summary>Grad-CAM averaged over several target layers.</summary>
    public GradCam(nn.Module<Tensor, Tensor> model, IReadOnlyList<CamLayer> layers, ILogger? logger = null) : base(model, layers, logger) { }

    /// <inheritdoc />
    public override string Name => "gradcam";

    /// <inheritdoc />
    protected override Tensor Weights(Tensor activations, Tensor gradients) => gradients.mean(new long[] { 2, 3 });
}
