using DecomCamNet.Native;
using Microsoft.Extensions.Logging;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet;

/// <summary>
/// XGrad-CAM (Fu et al., 2020): activation-weighted gradients, w_k = Σ_{h,w}(G_k A_k) / (Σ_{h,w} A_k + 1e-7).
/// </summary>
public sealed class XGradCam : GradientWeightedCam
{
    private static readonly Scalar Epsilon = 1e-7.ToScalar();

    /// <summary>XGrad-CAM on one target layer.</summary>
    public XGradCam(nn.Module<Tensor, Tensor> model, CamLayer layer, ILogger? logger = null) : this(model, new[] { layer }, logger) { }

    /// <summary>XGrad-CAM averaged over several target layers.</summary>
    public XGradCam(nn.Module<Tensor, Tensor> model, IReadOnlyList<CamLayer> layers, ILogger? logger = null) : base(model, layers, logger) { }

    /// <inheritdoc />
    public override string Name => "xgradcam";

    /// <inheritdoc />
    protected override Tensor Weights(Tensor activations, Tensor gradients)
    {
        var dims = new long[] { 2, 3 };
        return (gradients * activations).sum(dims) / activations.sum(dims).add(Epsilon, CachedScalars.One);
    }
}
