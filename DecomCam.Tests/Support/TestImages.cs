using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DecomCamNet.Tests.Support;

/// <summary>Small image files written by tests.</summary>
internal static class TestImages
{
    /// <summary>Writes <paramref name="count"/> PNGs of random pixels (sizes alternate 48 and 64 px, or all <paramref name="size"/>) into <paramref name="dir"/>.</summary>
    public static string RandomPngs(string dir, int count, int? size = null)
    {
        Directory.CreateDirectory(dir);
        var random = new Random(13);
        for (int i = 0; i < count; i++)
        {
            int side = size ?? (i % 2 == 0 ? 48 : 64);
            var pixels = new byte[side * side * 3];
            random.NextBytes(pixels);
            using var image = Image.LoadPixelData<Rgb24>(pixels, side, side);
            image.SaveAsPng(Path.Combine(dir, $"img{i:D3}.png"));
        }
        return dir;
    }
}
