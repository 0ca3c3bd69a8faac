using DecomCamNet.Detection;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DecomCamNet.Imaging;

/// <summary>
/// The integer factor by which small pictures are enlarged before boxes, labels and captions are drawn on them, so
/// that the 5x7 pixel font stays readable: a picture whose short side is under <see cref="MinShortSide"/> pixels is
/// enlarged by the smallest factor that brings it there (a 128-px scene: 2, to 256 px), unless that would take its
/// long side past <see cref="MaxLongSide"/>. The picture is enlarged by pixel replication (nearest neighbour); maps are
/// enlarged bilinearly by the same factor (<see cref="EnlargeMap"/>), and boxes are scaled by the same factor.
/// </summary>
public static class DrawingScale
{
    /// <summary>The short side, in pixels, that small pictures are enlarged to (at least).</summary>
    public const int MinShortSide = 256;

    /// <summary>The long side, in pixels, that enlarging never goes past.</summary>
    public const int MaxLongSide = 2048;

    /// <summary>The factor for a <paramref name="width"/> x <paramref name="height"/> picture: 1 when it is large enough.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A side is below 1.</exception>
    public static int Factor(int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        int shortSide = Math.Min(width, height), longSide = Math.Max(width, height);
        int wanted = (MinShortSide + shortSide - 1) / shortSide;
        return Math.Max(1, Math.Min(wanted, MaxLongSide / longSide));
    }

    /// <summary>A copy of <paramref name="image"/> enlarged <paramref name="factor"/> times by pixel replication; the caller owns it.</summary>
    internal static Image<Rgb24> Enlarge(Image<Rgb24> image, int factor)
    {
        if (factor == 1) return image.Clone();
        var result = new Image<Rgb24>(image.Width * factor, image.Height * factor);
        image.ProcessPixelRows(result, (src, dst) =>
        {
            for (int y = 0; y < dst.Height; y++)
            {
                var from = src.GetRowSpan(y / factor);
                var to = dst.GetRowSpan(y);
                for (int x = 0; x < to.Length; x++) to[x] = from[x / factor];
            }
        });
        return result;
    }

    /// <summary>
    /// <paramref name="map"/> (row-major, <paramref name="width"/> x <paramref name="height"/>) enlarged
    /// <paramref name="factor"/> times bilinearly, as <c>interpolate(mode="bilinear", align_corners=False)</c> does (source
    /// position (i + 0.5) / factor − 0.5, clamped to the edge pixels); the map itself when the factor is 1.
    /// </summary>
    internal static float[] EnlargeMap(float[] map, int width, int height, int factor)
    {
        if (factor == 1) return map;
        int outWidth = width * factor, outHeight = height * factor;
        var (x0, x1, fx) = Taps(width, factor);
        var (y0, y1, fy) = Taps(height, factor);
        var result = new float[outWidth * outHeight];
        for (int y = 0; y < outHeight; y++)
        {
            int top = y0[y] * width, bottom = y1[y] * width;
            float wy = fy[y];
            for (int x = 0; x < outWidth; x++)
            {
                float upper = map[top + x0[x]] + fx[x] * (map[top + x1[x]] - map[top + x0[x]]);
                float lower = map[bottom + x0[x]] + fx[x] * (map[bottom + x1[x]] - map[bottom + x0[x]]);
                result[y * outWidth + x] = upper + wy * (lower - upper);
            }
        }
        return result;
    }

    // Per output position along one axis: the two source indices and the weight of the second.
    private static (int[] First, int[] Second, float[] Weight) Taps(int size, int factor)
    {
        int count = size * factor;
        var (first, second, weight) = (new int[count], new int[count], new float[count]);
        for (int i = 0; i < count; i++)
        {
            double source = Math.Max(0, (i + 0.5) / factor - 0.5);
            first[i] = Math.Min((int)source, size - 1);
            second[i] = Math.Min(first[i] + 1, size - 1);
            weight[i] = (float)(source - first[i]);
        }
        return (first, second, weight);
    }

    /// <summary>The boxes with their corners multiplied by <paramref name="factor"/>.</summary>
    internal static IReadOnlyList<LabeledBox> Enlarge(IReadOnlyList<LabeledBox> boxes, int factor) => factor == 1 ? boxes
        : boxes.Select(b => b with { Box = new BoundingBox(b.Box.X1 * factor, b.Box.Y1 * factor, b.Box.X2 * factor, b.Box.Y2 * factor) }).ToArray();
}
