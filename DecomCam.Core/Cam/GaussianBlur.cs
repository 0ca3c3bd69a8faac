using static TorchSharp.torch;

namespace DecomCamNet;

/// <summary>
/// Gaussian blur of image batches as a separable depthwise convolution, matching <c>scipy.ndimage.gaussian_filter</c>
/// (radius = int(truncate·σ + 0.5), boundary mode "reflect" = half-sample symmetric: … c b a | a b c …).
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
        long channels = images.shape[1];
        long radius = Math.Min((long)(truncate * sigma + 0.5), Math.Min(images.shape[2], images.shape[3]) - 1);
        if (radius < 1) return images.clone();
        var offsets = arange(-radius, radius + 1, dtype: images.dtype, device: images.device);
        var kernel = exp(-offsets.pow(2) / (2 * sigma * sigma));
        kernel = kernel / kernel.sum();
        var padded = SymmetricPad(SymmetricPad(images, radius, 3), radius, 2);
        var horizontal = kernel.reshape(1, 1, 1, -1).expand(channels, 1, 1, -1).contiguous();
        var vertical = kernel.reshape(1, 1, -1, 1).expand(channels, 1, -1, 1).contiguous();
        var x = nn.functional.conv2d(padded, horizontal, groups: channels);
        return nn.functional.conv2d(x, vertical, groups: channels);
    }

    private static Tensor SymmetricPad(Tensor x, long r, long dim)
    {
        long size = x.shape[dim];
        var before = x.narrow(dim, 0, r).flip(dim);
        var after = x.narrow(dim, size - r, r).flip(dim);
        return cat(new[] { before, x, after }, dim);
    }
}
