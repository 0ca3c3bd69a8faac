using DecomCamNet.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet.Cam;

/// <summary>
/// Gaussian blur of image batches, matching <c>scipy.ndimage.gaussian_filter</c> (radius = int(truncate·σ + 0.5),
/// boundary mode "reflect" = half-sample symmetric: … c b a | a b c …). Separable, computed as two small matrix
/// products (rows, then columns) with the boundary folded into the matrices: much faster than an 81-tap depthwise
/// convolution on the CPU.
/// </summary>
public static class GaussianBlur
{
    /// <summary>
    /// Blurs <paramref name="images"/> [N,C,H,W] with standard deviation <paramref name="sigma"/> pixels. The radius is
    /// clamped to min(H,W) − 1 for small images.
    /// </summary>
    public static Tensor Apply(Tensor images, double sigma = 10, double truncate = 4)
    {
        if (images.dim() != 4) throw new ArgumentException($"Blur expects [N,C,H,W]; got [{string.Join(",", images.shape)}].", nameof(images));
        if (!(sigma > 0)) throw new ArgumentOutOfRangeException(nameof(sigma), sigma, "Sigma must be positive.");
        long radius = Math.Min((long)(truncate * sigma + 0.5), Math.Min(images.shape[2], images.shape[3]) - 1);
        if (radius < 1) return images.clone();
        var offsets = OwnedScalarOps.Arange(-radius, radius + 1, images.dtype, images.device);
        using var twoSigmaSquared = (2 * sigma * sigma).ToScalar();
        var kernel = exp(-offsets.pow(CachedScalars.Two) / twoSigmaSquared);
        kernel = kernel / kernel.sum();
        var rows = BlurMatrix(images.shape[2], radius, kernel);
        var columns = BlurMatrix(images.shape[3], radius, kernel);
        return rows.matmul(images).matmul(columns.t());
    }

    /// <summary>
    /// The 1-D blur along an axis of length <paramref name="size"/> as a [size,size] matrix, with the symmetric boundary
    /// folded in: row i holds the kernel taps of output i at the (reflected) input positions they read.
    /// </summary>
    private static Tensor BlurMatrix(long size, long radius, Tensor kernel)
    {
        var device = kernel.device;
        var taps = OwnedScalarOps.Arange(size, device: device).unsqueeze(1)
            .add(OwnedScalarOps.Arange(-radius, radius + 1, device: device).unsqueeze(0), CachedScalars.One);
        taps = where(taps.lt(CachedScalars.Zero), (-taps).sub(CachedScalars.One), taps);
        using var sizeScalar = size.ToScalar();
        using var mirror = (2 * size - 1).ToScalar();
        taps = where(taps.ge(sizeScalar), (-taps).add(mirror, CachedScalars.One), taps);
        return zeros(new[] { size, size }, dtype: kernel.dtype, device: device)
            .scatter_add_(1, taps, kernel.unsqueeze(0).expand(size, -1).contiguous());
    }
}
