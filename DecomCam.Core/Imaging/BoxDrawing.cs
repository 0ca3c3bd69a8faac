using DecomCamNet.Detection;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DecomCamNet.Imaging;

/// <summary>A box to draw on an overlay, in the image's pixels, with its label (class and score) above it.</summary>
/// <param name="Box">Where.</param>
/// <param name="Label">The text in the box's tag; null for none.</param>
/// <param name="Highlight">The explained box (a thick green frame); other boxes get a thin white one.</param>
public sealed record LabeledBox(BoundingBox Box, string? Label, bool Highlight = true)
{
    /// <summary>A box's label: its class name, and the detection's score (two decimals) when a detector found it.</summary>
    public static string Tag(string className, float? detectionScore) =>
        detectionScore is float s ? FormattableString.Invariant($"{className} {s:F2}") : className;
}

/// <summary>Draws detection boxes and their labels on an image (the pixel font of the caption strips).</summary>
public static class BoxDrawing
{
    private static readonly Rgb24 Explained = new(0, 255, 0);
    private static readonly Rgb24 Other = new(255, 255, 255);
    private static readonly Rgb24 Dark = new(0, 0, 0);

    /// <summary>Draws <paramref name="boxes"/> on <paramref name="image"/> in place: the others first, the highlighted
    /// ones on top, each frame outlined in black so that it shows on any colour; labels in a dark tag above the box
    /// (inside it when the box touches the top edge).</summary>
    public static void Draw(Image<Rgb24> image, IReadOnlyList<LabeledBox> boxes)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(boxes);
        int scale = CaptionStrip.Scale(image.Width);
        foreach (var b in boxes.OrderBy(b => b.Highlight))
        {
            int x1 = (int)Math.Floor(b.Box.X1), y1 = (int)Math.Floor(b.Box.Y1), x2 = (int)Math.Ceiling(b.Box.X2) - 1, y2 = (int)Math.Ceiling(b.Box.Y2) - 1;
            int thickness = b.Highlight ? scale + 1 : scale;
            Frame(image, x1 - 1, y1 - 1, x2 + 1, y2 + 1, 1, Dark);
            Frame(image, x1, y1, x2, y2, thickness, b.Highlight ? Explained : Other);
            if (b.Label is null) continue;
            int height = (PixelFont.GlyphHeight + 2) * scale, width = PixelFont.Width(b.Label, scale) + 2 * scale;
            int top = y1 - height >= 0 ? y1 - height : y1 + thickness;
            int left = Math.Clamp(x1, 0, Math.Max(0, image.Width - width));
            Fill(image, left, top, left + width - 1, top + height - 1, Dark);
            PixelFont.Draw(image, b.Label, left + scale, top + scale, scale, b.Highlight ? Explained : Other);
        }
    }

    private static void Frame(Image<Rgb24> image, int x1, int y1, int x2, int y2, int thickness, Rgb24 color)
    {
        Fill(image, x1, y1, x2, y1 + thickness - 1, color);
        Fill(image, x1, y2 - thickness + 1, x2, y2, color);
        Fill(image, x1, y1, x1 + thickness - 1, y2, color);
        Fill(image, x2 - thickness + 1, y1, x2, y2, color);
    }

    private static void Fill(Image<Rgb24> image, int x1, int y1, int x2, int y2, Rgb24 color)
    {
        x1 = Math.Max(x1, 0);
        y1 = Math.Max(y1, 0);
        x2 = Math.Min(x2, image.Width - 1);
        y2 = Math.Min(y2, image.Height - 1);
        if (x1 > x2 || y1 > y2) return;
        image.ProcessPixelRows(rows =>
        {
            for (int y = y1; y <= y2; y++) rows.GetRowSpan(y)[x1..(x2 + 1)].Fill(color);
        });
    }
}
