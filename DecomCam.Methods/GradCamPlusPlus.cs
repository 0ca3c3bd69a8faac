using DecomCamNet.Native;
using Microsoft.Extensions.Logging;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet;

/// <summary>
/// Grad-CAM++ (Chattopadhay et al., 2018): positive gradients weighted by
/// α = G² / (2G² + Σ_{h,w}A · G³ + 1e-6) (zero where G = 0), w_k = Σ_{h,w} ReLU(G_k) α_k.
/// </summary>
public sealed class GradCamPlusPlus : GradientWeightedCam
{
    private static readonly Scalar Epsilon = 1e-6.ToScalar();

    /// <summary>Grad-CAM++ on one target layer.</summary>
    public GradCamPlusPlus(nn.Module<Tensor, Tensor> model, CamLayer layer, ILogger? logger = null) : this(model, new[] { layer }, logger) { }

    /// <summary>Grad-CAM++ averaged over several target layers.</summary>
    public GradCamPlusPlus(nn.Module<Tensor, Tensor> model, IReadOnlyList<CamLayer> layers, ILogger? logger = null) : base(model, layers, logger) { }

    /// <inheritdoc />
    public override string Name => "gradcam++";

    /// <inheritdoc />
    protected override Tensor Weights(Tensor activations, Tensor gradients)
    {
        var g2 = gradients.pow(CachedScalars.Two);
        var g3 = g2 * gradients;
        var sumA = activations.sum(new long[] { 2, 3 }, keepdim: true);
        var alpha = g2 / g2.mul(CachedScalars.Two).add(sumA * g3, CachedScalars.One).add(Epsilon, CachedScalars.One);
        alpha = where(gradients.ne(CachedScalars.Zero), alpha, zeros_like(alpha));
        return (nn.functional.relu(gradients) * alpha).sum(new long[] { 2, 3 });
    }
}
