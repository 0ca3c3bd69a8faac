using DecomCamNet.Cam;
using DecomCamNet.Native;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace DecomCamNet.Imaging;

/// <summary>
/// Draws the concepts of a factorization (Deep Feature Factorization's <c>concept_maps</c> of one image) on the image in
/// one picture: every pixel takes the colour of the concept whose map is strongest there, as bright as that map's value.
/// </summary>
/// <remarks>
/// Each concept map is min-max scaled to [0,1] on its own (divide by its range + 1e-7), resized bilinearly
/// (<c>align_corners = false</c>) to the image, and coloured with hue k/K (full saturation). A pixel is
/// <c>round(imageWeight · image + (1 − imageWeight) · colour_k · map_k)</c> for the concept k with the largest scaled map
/// value there (the first on ties).
/// </remarks>
public static class ConceptImageWriter
{
    /// <summary>The RGB colour of concept <paramref name="concept"/> of <paramref name="count"/>: hue concept/count, full saturation and value.</summary>
    public static Rgb24 ConceptColor(int concept, int count)
    {
        double hue = 6.0 * concept / count;
        int sector = (int)Math.Floor(hue) % 6;
        byte rising = (byte)Math.Round(255 * (hue - Math.Floor(hue))), falling = (byte)(255 - rising);
        return sector switch
        {
            0 => new Rgb24(255, rising, 0),
            1 => new Rgb24(falling, 255, 0),
            2 => new Rgb24(0, 255, rising),
            3 => new Rgb24(0, falling, 255),
            4 => new Rgb24(rising, 0, 255),
            _ => new Rgb24(255, 0, falling),
        };
    }

    /// <summary>Renders the concepts over <paramref name="image"/> (not changed); the caller owns the returned image.</summary>
    /// <param name="image">The background.</param>
    /// <param name="conceptMaps">The maps [K,h,w] of one image, any non-negative scale, finite.</param>
    /// <param name="imageWeight">Weight of the image, in [0, 1] (default 0.3, pytorch-grad-cam's).</param>
    /// <exception cref="ArgumentException">The maps are not [K,h,w] with K ≥ 1, or not finite; or the weight is outside [0, 1].</exception>
    public static Image<Rgb24> Create(Image<Rgb24> image, Tensor conceptMaps, float imageWeight = 0.3f)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(conceptMaps);
        if (conceptMaps.dim() != 3 || conceptMaps.shape[0] < 1 || conceptMaps.numel() == 0)
            throw new ArgumentException($"Concept maps must be [K,h,w] with K >= 1; got [{string.Join(",", conceptMaps.shape)}].", nameof(conceptMaps));
        if (!(imageWeight >= 0f && imageWeight <= 1f))
            throw new ArgumentOutOfRangeException(nameof(imageWeight), imageWeight, "The image weight must lie in [0, 1].");
        int count = (int)conceptMaps.shape[0];
        float[] strength;
        long[] winner;
        using (var scope = NewDisposeScope())
        {
            var m = conceptMaps.detach().cpu().to_type(ScalarType.Float32);
            if (!m.isfinite().all().item<bool>())
                throw new ArgumentException("The concept maps contain NaN or infinite values.", nameof(conceptMaps));
            var scaled = CamKernels.Resize(CamKernels.NormalizePerImage(m), image.Height, image.Width);
            var (values, indices) = scaled.max(0);
            strength = values.clamp(CachedScalars.Zero, CachedScalars.One).contiguous().data<float>().ToArray();
            winner = indices.contiguous().data<long>().ToArray();
        }
        var colors = Enumerable.Range(0, count).Select(k => ConceptColor(k, count)).ToArray();
        var result = image.Clone();
        result.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < rows.Height; y++)
            {
                var row = rows.GetRowSpan(y);
                for (int x = 0; x < row.Length; x++)
                {
                    int i = y * row.Length + x;
                    var c = colors[winner[i]];
                    float s = (1 - imageWeight) * strength[i];
                    row[x] = new Rgb24(Mix(row[x].R, c.R, imageWeight, s), Mix(row[x].G, c.G, imageWeight, s), Mix(row[x].B, c.B, imageWeight, s));
                }
            }
        });
        return result;
    }

    /// <summary>Saves what <see cref="Create"/> renders as a PNG; the directory is created if needed.</summary>
    /// <exception cref="ArgumentException">As for <see cref="Create"/>, or an empty path.</exception>
    public static void Save(Image<Rgb24> image, Tensor conceptMaps, string path, float imageWeight = 0.3f)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using var result = Create(image, conceptMaps, imageWeight);
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        result.SaveAsPng(path);
    }

    private static byte Mix(byte image, byte color, float imageWeight, float colorWeight) =>
        (byte)Math.Clamp(Math.Round(imageWeight * image + colorWeight * color, MidpointRounding.AwayFromZero), 0, 255);
}
