using DecomCamNet.Detection;
using DecomCamNet.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using static DecomCamNet.Tests.Imaging.ImagingTestSupport;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Imaging;

/// <summary>
/// Detection pictures: small images enlarged for drawing (<see cref="DrawingScale"/>), the box overlay, and the grid of
/// one panel per detection (<see cref="CamImageWriter.CreateBoxGrid"/>): sizes, box frames, and map pixels.
/// </summary>
public sealed class BoxGridTests
{
    private static readonly Rgb24 Green = new(0, 255, 0);
    private static readonly Rgb24 Dark = new(0, 0, 0);
    private static readonly Rgb24 White = new(255, 255, 255);

    [Theory]
    [InlineData(128, 128, 2)] // a scene: 256 px
    [InlineData(224, 224, 2)]
    [InlineData(64, 48, 6)] // the short side decides: 288 px
    [InlineData(256, 256, 1)]
    [InlineData(300, 260, 1)]
    [InlineData(100, 1500, 1)] // 3 would take the long side past 2048
    [InlineData(100, 700, 2)] // 3 would be 2100
    [InlineData(1, 1, 256)]
    public void TheFactorBringsTheShortSideTo256WithinTheLongSideLimit(int width, int height, int factor) =>
        Assert.Equal(factor, DrawingScale.Factor(width, height));

    [Fact]
    public void ABoxOverlayOfASceneIsDrawnAtTwiceItsSizeWithTheBoxScaled()
    {
        using var image = MakeTexture(128, 128);
        using var map = full(128, 128, 0.25f);
        using var overlay = CamImageWriter.CreateBoxOverlay(image, map, [new LabeledBox(new BoundingBox(20, 30, 60, 80), "car 0.90")], alpha: 0.4f);
        Assert.Equal((256, 256), (overlay.Width, overlay.Height));
        AssertFrame(overlay, new BoundingBox(40, 60, 120, 160));
        // Nearest-neighbour picture, map 0.25 everywhere (2x bilinear of a constant is exact): pixel (x, y) blends image (x/2, y/2).
        foreach (var (x, y) in new[] { (0, 0), (1, 1), (200, 201), (255, 255), (80, 100) })
            Assert.Equal(Blended(image[x / 2, y / 2], 0.25f, 0.4f), overlay[x, y]);

        using var large = MakeTexture(300, 260);
        using var largeMap = full(260, 300, 0.25f);
        using var same = CamImageWriter.CreateBoxOverlay(large, largeMap, [new LabeledBox(new BoundingBox(20, 30, 60, 80), null)]);
        Assert.Equal((300, 260), (same.Width, same.Height)); // large enough: as before
        Assert.Equal(Green, same[20, 30]);
    }

    [Fact]
    public void TheGridHasOnePanelPerDetectionEachTheBoxOverlayOfItsMap()
    {
        using var scope = NewDisposeScope();
        using var image = MakeTexture(128, 128);
        var random = new Random(7);
        var maps = new[] { full(128, 128, 0.25f), full(128, 128, 0.75f),
            tensor(Enumerable.Range(0, 16 * 16).Select(_ => (float)random.NextDouble()).ToArray(), 16, 16) };
        var boxes = new[] { new BoundingBox(20, 30, 60, 80), new BoundingBox(70, 10, 120, 50), new BoundingBox(5, 60, 45, 125) };
        var panels = boxes.Select((b, i) => (IReadOnlyList<LabeledBox>)[new LabeledBox(b, $"class {i} 0.9")]).ToList();
        string[] captions = ["0: circle 0.91, target 1.91", "1: square 0.88, target 1.88", "2: ring 0.52, target 1.52"];

        using var grid = CamImageWriter.CreateBoxGrid(image, maps, panels, columns: 2, alpha: 0.4f, labels: captions);

        int strip = CaptionStrip.Height(256, 1, colorBar: false);
        Assert.Equal((2 * 256 + 2, 2 * (256 + strip) + 2), (grid.Width, grid.Height)); // 3 panels of 256 px in 2 columns
        (int X, int Y) Origin(int panel) => (panel % 2 * 258, panel / 2 * (256 + strip + 2));
        Assert.Equal(White, grid[256, 100]); // gutter
        Assert.Equal(White, grid[Origin(3).X + 128, Origin(3).Y + 128]); // no fourth panel
        Assert.NotEqual(White, grid[Origin(2).X + 128, Origin(2).Y + 128]);

        for (int i = 0; i < 3; i++)
        {
            var (x0, y0) = Origin(i);
            using var panel = grid.Clone(c => c.Crop(new Rectangle(x0, y0, 256, 256)));
            AssertFrame(panel, new BoundingBox(2 * boxes[i].X1, 2 * boxes[i].Y1, 2 * boxes[i].X2, 2 * boxes[i].Y2));
            using var overlay = CamImageWriter.CreateBoxOverlay(image, maps[i], panels[i], alpha: 0.4f);
            Assert.Equal(Pixels(overlay), Pixels(panel)); // the map and its box exactly as the panel's own box overlay
        }
        Assert.Equal(Blended(image[100, 120], 0.25f, 0.4f), grid[200, 240]); // panel 0's map, jet(0.25) over the enlarged picture
        Assert.Equal(Blended(image[110, 120], 0.75f, 0.4f), grid[258 + 220, 240]); // panel 1's
        Assert.Equal(Blended(image[0, 0], 0.25f, 0.4f), grid[1, 1]);
    }

    [Fact]
    public void BadBoxListsNameTheParameter()
    {
        using var image = MakeTexture(16, 16);
        using var map = zeros(16, 16);
        var one = (IReadOnlyList<LabeledBox>)[new LabeledBox(new BoundingBox(1, 1, 5, 5), "a")];
        var tooMany = Assert.Throws<ArgumentException>(() => CamImageWriter.CreateBoxGrid(image, [map], [one, one]));
        Assert.Equal("boxes", tooMany.ParamName);
        Assert.Contains("1 maps needs 1 box lists; got 2", tooMany.Message);
        Assert.Equal("boxes", Assert.Throws<ArgumentException>(() => CamImageWriter.CreateBoxGrid(image, [map], [null!])).ParamName);
        Assert.Equal("labels", Assert.Throws<ArgumentException>(() => CamImageWriter.CreateBoxGrid(image, [map], [one], labels: ["a", "b"])).ParamName);
        Assert.Equal("maps", Assert.ThrowsAny<ArgumentException>(() => CamImageWriter.CreateBoxGrid(image, [], [])).ParamName);
    }

    private static Rgb24 Blended(Rgb24 image, float value, float alpha)
    {
        Rgb24 j = ColorMaps.Jet(value);
        static byte B(byte i, byte c, float a) => (byte)MathF.Round((1 - a) * i + a * c, MidpointRounding.AwayFromZero);
        return new Rgb24(B(image.R, j.R, alpha), B(image.G, j.G, alpha), B(image.B, j.B, alpha));
    }

    /// <summary>
    /// The highlighted frame of <paramref name="box"/> (in the picture's pixels, font scale 1): 2 px of green inside it,
    /// 1 px of black outside, the label's dark tag 9 px high above it, the map inside.
    /// </summary>
    private static void AssertFrame(Image<Rgb24> picture, BoundingBox box)
    {
        int x1 = (int)box.X1, y1 = (int)box.Y1, x2 = (int)box.X2 - 1, y2 = (int)box.Y2 - 1; // last pixels inside
        foreach (var (x, y) in new[] { (x1, y1), (x1 + 1, y1 + 1), (x2, y2), (x2 - 1, y2 - 1), ((x1 + x2) / 2, y1 + 1), ((x1 + x2) / 2, y2), (x1, (y1 + y2) / 2), (x2 - 1, (y1 + y2) / 2) })
            Assert.Equal(Green, picture[x, y]);
        foreach (var (x, y) in new[] { (x1 - 1, (y1 + y2) / 2), (x2 + 1, (y1 + y2) / 2), ((x1 + x2) / 2, y2 + 1), (x1, y1 - 9) })
            Assert.Equal(Dark, picture[x, y]);
        foreach (var (x, y) in new[] { (x1 + 2, y1 + 2), (x2 - 2, y2 - 2), ((x1 + x2) / 2, (y1 + y2) / 2) })
        {
            Assert.NotEqual(Green, picture[x, y]);
            Assert.NotEqual(Dark, picture[x, y]);
        }
    }
}
