using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DecomCamNet.Batches;

/// <summary>
/// One image on its way from the model to <see cref="ImageSetWriter"/>: its rows (one, or a detector's one per box) with
/// the maps to write, and its picture when it was explained. Owns the picture.
/// </summary>
/// <param name="Picture">The preprocessed image, the overlays' background; <c>null</c> for a failed image.</param>
/// <param name="Rows">The image's rows, appended together once their outputs are written.</param>
internal sealed record ExplainedImage(Image<Rgb24>? Picture, IReadOnlyList<ExplainedRow> Rows) : IDisposable
{
    /// <summary>A failed image: its row alone.</summary>
    public static ExplainedImage Failed(ManifestRow row) => new(null, [new ExplainedRow(row, null, [])]);

    /// <inheritdoc/>
    public void Dispose() => Picture?.Dispose();
}
