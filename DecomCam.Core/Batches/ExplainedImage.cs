using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace DecomCamNet.Batches;

/// <summary>Values of a CPU tensor copied out of native memory, so they can cross threads without a tensor's lifetime.</summary>
/// <param name="Values">The values in C order.</param>
/// <param name="Shape">The tensor's shape.</param>
internal sealed record HostArray(float[] Values, long[] Shape)
{
    /// <summary>Copies <paramref name="tensor"/> (float32, on the CPU).</summary>
    public static HostArray Of(Tensor tensor)
    {
        using var dense = tensor.contiguous();
        return new HostArray(dense.data<float>().ToArray(), tensor.shape);
    }

    /// <summary>A new tensor of these values; the caller disposes it.</summary>
    public Tensor ToTensor() => tensor(Values, Shape);
}

/// <summary>
/// One image on its way from the model to <see cref="ImageSetWriter"/>: its manifest row (outputs not yet filled in)
/// and, when it was explained, its picture, map and OSSMs. Owns the picture.
/// </summary>
/// <param name="Row">The row to append once the outputs are written; carries its error when the image failed.</param>
/// <param name="Picture">The preprocessed image, the overlay's background; <c>null</c> for a failed image.</param>
/// <param name="Map">The map [H,W]; <c>null</c> for a failed image.</param>
/// <param name="Ossm">DecomCAM's OSSMs [Q,H,W] when they are to be written.</param>
internal sealed record ExplainedImage(ManifestRow Row, Image<Rgb24>? Picture, HostArray? Map, HostArray? Ossm) : IDisposable
{
    /// <summary>A failed image: its row alone.</summary>
    public static ExplainedImage Failed(ManifestRow row) => new(row, null, null, null);

    /// <inheritdoc/>
    public void Dispose() => Picture?.Dispose();
}
