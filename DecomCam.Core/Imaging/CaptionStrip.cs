using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DecomCamNet.Imaging;

/// <summary>
/// A white strip below a picture with dark text lines (<see cref="PixelFont"/>) and, optionally, a jet colour bar from 0
/// to 1 labelled at both ends, so that the text never covers the map. The font scale is 1 up to 383 pixels of width and
/// grows by one per 384 pixels.
/// </summary>
internal static class CaptionStrip
{
    /// <summary>The colour of the strip's background.</summary>
    public static readonly Rgb24 Background = new(255, 255, 255);

    /// <summary>The colour of its text.</summary>
    public static readonly Rgb24 Ink = new(0, 0, 0);

    /// <summary>Lines of a caption, at most.</summary>
    public const int MaxLines = 3;

    /// <summary>The font scale for a picture <paramref name="width"/> pixels wide.</summary>
    public static int Scale(int width) => 1 + width / 384;

    /// <summary>
    /// <paramref name="text"/> broken into lines that fit <paramref name="width"/> pixels: at spaces where it can, inside
    /// words where it must; a text longer than <see cref="MaxLines"/> lines ends its last line with <c>...</c>.
    /// </summary>
    public static List<string> Wrap(string text, int width)
    {
        int scale = Scale(width);
        int fit = Math.Max(1, (width - 2 * Padding(scale) + scale) / (PixelFont.Advance * scale));
        var lines = new List<string>();
        string rest = text.Trim();
        while (rest.Length > 0)
        {
            if (lines.Count == MaxLines - 1 && rest.Length > fit)
            {
                lines.Add(fit > 3 ? rest[..(fit - 3)].TrimEnd() + "..." : rest[..fit]);
                return lines;
            }
            int cut = rest.Length <= fit ? rest.Length : rest.LastIndexOf(' ', fit) is > 0 and var space ? space : fit;
            lines.Add(rest[..cut].TrimEnd());
            rest = rest[cut..].TrimStart();
        }
        return lines;
    }

    /// <summary>The strip's height for <paramref name="lines"/> lines of text and an optional colour bar, at the scale of <paramref name="width"/>.</summary>
    public static int Height(int width, int lines, bool colorBar)
    {
        int scale = Scale(width);
        return Padding(scale) + lines * LineHeight(scale) + (colorBar ? PixelFont.GlyphHeight * scale + Padding(scale) : 0);
    }

    /// <summary>A copy of <paramref name="picture"/> with the strip below it; the caller owns it.</summary>
    public static Image<Rgb24> Below(Image<Rgb24> picture, IReadOnlyList<string> lines, bool colorBar)
    {
        int width = picture.Width, scale = Scale(width), pad = Padding(scale);
        var result = new Image<Rgb24>(width, picture.Height + Height(width, lines.Count, colorBar), Background);
        picture.ProcessPixelRows(result, (src, dst) =>
        {
            for (int y = 0; y < src.Height; y++) src.GetRowSpan(y).CopyTo(dst.GetRowSpan(y));
        });
        int top = picture.Height + pad;
        foreach (var line in lines)
        {
            PixelFont.Draw(result, line, pad, top, scale, Ink);
            top += LineHeight(scale);
        }
        if (colorBar) DrawColorBar(result, top, scale);
        return result;
    }

    // "0 [jet from 0 to 1] 1" across the width, one glyph high.
    private static void DrawColorBar(Image<Rgb24> image, int top, int scale)
    {
        int pad = Padding(scale), label = PixelFont.Width("0", scale), gap = 2 * scale;
        int x0 = pad + label + gap, x1 = image.Width - pad - label - gap; // bar columns [x0, x1)
        if (x1 - x0 < 2) return;
        PixelFont.Draw(image, "0", pad, top, scale, Ink);
        PixelFont.Draw(image, "1", x1 + gap, top, scale, Ink);
        image.ProcessPixelRows(rows =>
        {
            for (int y = top; y < top + PixelFont.GlyphHeight * scale; y++)
            {
                var row = rows.GetRowSpan(y);
                for (int x = x0; x < x1; x++) row[x] = ColorMaps.Jet((float)(x - x0) / (x1 - 1 - x0));
            }
        });
    }

    private static int Padding(int scale) => 3 * scale;

    private static int LineHeight(int scale) => (PixelFont.GlyphHeight + 3) * scale;
}
