using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DecomCamNet.Batches;

/// <summary>
/// One image on its way from the model to <see cref="ImageSetWriter"/>: its manifest row (outputs not yet filled in)
/// and, when it was explained, its picture, map and the component maps to write. Owns the picture.
/// </summary>
/// <param name="Row">The row to append once the outputs are written; carries its error when the image failed.</param>
/// <param name="Picture">The preprocessed image, the overlay's background; <c>null</c> for a failed image.</param>
/// <param name="Map">The map [H,W]; <c>null</c> for a failed image.</param>
/// <param name="Components">The component maps [Q,H,W] to write (<see cref="IntermediateDrawing.ComponentGrid"/>), each with
/// the suffix of its file; empty when none are to be written.</param>
internal sealed record ExplainedImage(ManifestRow Row, Image<Rgb24>? Picture, HostArray? Map, IReadOnlyList<(string FileSuffix, HostArray Maps)> Components) : IDisposable
{
    /// <summary>A failed image: its row alone.</summary>
    public static ExplainedImage Failed(ManifestRow row) => new(row, null, null, []);

    /// <inheritdoc/>
    public void Dispose() => Picture?.Dispose();
}
