using DecomCamNet.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet.Cam;

/// <summary>
/// The tensor math that CAM methods share, each piece written once. Everything stays on the tensors' device.
/// </summary>
public static class CamKernels
{
    /// <summary>The epsilon of the per-image min-max normalisation (divide by max + 1e-7, as pytorch-grad-cam does).</summary>
    public const double NormalizeEpsilon = 1e-7;

    private static readonly Scalar NormalizeEpsilonScalar = NormalizeEpsilon.ToScalar();

    /// <summary>Per-image min-max to [0,1]: subtract each image's minimum, divide by its new maximum + 1e-7. Batch first, any rank.</summary>
    public static Tensor NormalizePerImage(Tensor maps)
    {
        var flat = maps.flatten(1);
        var shifted = flat - flat.amin(new long[] { 1 }, keepdim: true);
        return (shifted / (shifted.amax(new long[] { 1 }, keepdim: true).add(NormalizeEpsilonScalar, CachedScalars.One))).reshape(maps.shape);
    }

    /// <summary>ReLU then per-image min-max: the common post-processing at feature resolution.</summary>
    public static Tensor ReluNormalize(Tensor maps) => NormalizePerImage(nn.functional.relu(maps));

    /// <summary>
    /// Resizes maps [N,h,w] (or [N,K,h,w]) to [N,H,W] (or [N,K,H,W]); a no-op when the size already matches.
    /// </summary>
    public static Tensor Resize(Tensor maps, long height, long width, InterpolationMode mode = InterpolationMode.Bilinear, bool alignCorners = false)
    {
        if (maps.shape[^2] == height && maps.shape[^1] == width) return maps;
        if (mode == InterpolationMode.Bicubic && !alignCorners) return BicubicResize.Apply(maps, height, width);
        bool single = maps.dim() == 3;
        var x = single ? maps.unsqueeze(1) : maps;
        var y = nn.functional.interpolate(x, new[] { height, width }, mode: mode, align_corners: alignCorners);
        return single ? y.squeeze(1) : y;
    }

    /// <summary>Sum over channels of weight × activation: weights [N,C] (or [N,C,h,w]), activations [N,C,h,w] → [N,h,w].</summary>
    public static Tensor WeightedSum(Tensor weights, Tensor activations)
    {
        var w = weights.dim() == 2 ? weights.unsqueeze(-1).unsqueeze(-1) : weights;
        return (w * activations).sum(1);
    }

    /// <summary>Min-max of each channel map over its spatial dims: [N,C,H,W] → [N,C,H,W] in [0,1]; constant maps become 0.</summary>
    public static Tensor NormalizePerChannel(Tensor maps, double epsilon = 1e-8)
    {
        var dims = new long[] { -2, -1 };
        var min = maps.amin(dims, keepdim: true);
        var max = maps.amax(dims, keepdim: true);
        using var eps = epsilon.ToScalar();
        return (maps - min) / (max - min).add(eps, CachedScalars.One);
    }
}
