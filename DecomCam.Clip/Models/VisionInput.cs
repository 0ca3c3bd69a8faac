using static TorchSharp.torch;

namespace DecomCamNet.Clip.Models;

/// <summary>The input check shared by the image encoders, run before any native work.</summary>
internal static class VisionInput
{
    /// <summary>Throws unless <paramref name="image"/> is a floating-point [N, 3, R, R] batch with R = <paramref name="resolution"/>.</summary>
    public static void Check(Tensor image, int resolution)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.ndim != 4 || image.shape[1] != 3)
            throw new ArgumentException(
                $"Expected an image batch [N, 3, {resolution}, {resolution}], got [{string.Join(", ", image.shape)}].", nameof(image));
        if (image.shape[2] != resolution || image.shape[3] != resolution)
            throw new ArgumentException(
                $"This CLIP image encoder takes {resolution}x{resolution} images (its positional embedding is fixed), " +
                $"got {image.shape[2]}x{image.shape[3]}.", nameof(image));
        if (!image.is_floating_point())
            throw new ArgumentException($"Expected a floating-point image, got {image.dtype}.", nameof(image));
    }
}
