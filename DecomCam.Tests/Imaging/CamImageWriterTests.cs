using DecomCamNet.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using TorchSharp;
using static DecomCamNet.Tests.Imaging.ImagingTestSupport;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Imaging;

public class CamImageWriterTests
{
    private static readonly Rgb24 White = new(255, 255, 255);

    private static byte Blend(byte image, byte jet, float alpha) =>
        (byte)MathF.Round((1 - alpha) * image + alpha * jet, MidpointRounding.AwayFromZero);

    private static Rgb24 Expected(Rgb24 image, float value, float alpha)
    {
        Rgb24 j = ColorMaps.Jet(value);
        return new Rgb24(Blend(image.R, j.R, alpha), Blend(image.G, j.G, alpha), Blend(image.B, j.B, alpha));
    }

    [Theory]
    [InlineData(0.5f)]
    [InlineData(0.3f)]
    [InlineData(0f)]
    [InlineData(1f)]
    public void OverlayPixelsFollowTheFormula(float alpha)
    {
        using var dir = new TempDir();
        using var image = MakeImage(4, 3, (x, y) => new Rgb24((byte)(60 * x), (byte)(100 * y), 77));
        using var map = torch.tensor(new float[] { 0, 0.125f, 0.375f, 0.5f, 0.625f, 0.875f, 1, 0.2f, 0.4f, 0.6f, 0.8f, 0.9f }, 3, 4);
        string path = dir.File("sub/overlay.png");
        CamImageWriter.SaveOverlay(image, map, path, alpha);
        using var saved = Image.Load<Rgb24>(path);
        Assert.Equal((4, 3), (saved.Width, saved.Height));
        for (int y = 0; y < 3; y++)
            for (int x = 0; x < 4; x++)
                Assert.Equal(Expected(image[x, y], map[y, x].item<float>(), alpha), saved[x, y]);

        // A hand-computed point: image (60, 100, 77), map 0.875 -> jet (255, 0, 0); alpha 0.5 -> (157.5, 50, 38.5).
        if (alpha == 0.5f)
            Assert.Equal(new Rgb24(158, 50, 39), saved[1, 1]);
        Assert.Equal(new Rgb24(60, 100, 77), image[1, 1]); // input untouched
    }

    [Fact]
    public void AnOverlayFromHostValuesIsTheTensorOverlayByteForByte()
    {
        using var dir = new TempDir();
        using var image = MakeTexture(40, 30);
        var random = new Random(5);
        // Values in and outside [0, 1] (both clamp), and the exact colour-map knots.
        var values = Enumerable.Range(0, 30 * 40).Select(i => i % 7 == 0 ? i % 9 * 0.125f : (float)(random.NextDouble() * 1.4 - 0.2)).ToArray();
        using var map = torch.tensor(values, 30, 40);
        CamImageWriter.SaveOverlay(image, map, dir.File("tensor.png"), 0.3f);
        CamImageWriter.SaveOverlay(image, values, dir.File("host.png"), 0.3f);
        Assert.Equal(File.ReadAllBytes(dir.File("tensor.png")), File.ReadAllBytes(dir.File("host.png")));

        var wrongSize = Assert.Throws<ArgumentException>(() => CamImageWriter.CreateOverlay(image, new float[40 * 29]));
        Assert.Contains("1160 values; a 40x30 image needs 1200", wrongSize.Message);
        values[17] = float.NaN;
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => CamImageWriter.CreateOverlay(image, values)).Message);
    }

    [Fact]
    public void AGridFromHostValuesIsTheTensorGridPixelForPixel()
    {
        using var image = MakeTexture(20, 12);
        var random = new Random(3);
        var maps = Enumerable.Range(0, 3).Select(_ => Enumerable.Range(0, 12 * 20).Select(_ => (float)random.NextDouble()).ToArray()).ToList();
        string[] labels = ["1: w 1 s 2.5", "2: w 0.4", "3:"];
        using var scope = NewDisposeScope();
        using var fromTensors = CamImageWriter.CreateGrid(maps.Select(m => torch.tensor(m, 12, 20)).ToList(), image, columns: 2, alpha: 0.4f, labels: labels);
        using var fromHost = CamImageWriter.CreateGrid(maps, 20, 12, image, columns: 2, alpha: 0.4f, labels: labels);
        Assert.Equal((fromTensors.Width, fromTensors.Height), (fromHost.Width, fromHost.Height));
        for (int y = 0; y < fromHost.Height; y++)
            for (int x = 0; x < fromHost.Width; x++)
                Assert.Equal(fromTensors[x, y], fromHost[x, y]);
        Assert.Contains("a 20x12 map needs 240", Assert.Throws<ArgumentException>(() => CamImageWriter.CreateGrid([new float[239]], 20, 12)).Message);
        Assert.Contains("background is 20x12", Assert.Throws<ArgumentException>(() => CamImageWriter.CreateGrid([new float[100]], 10, 10, image)).Message);
        Assert.Equal("1: w 0.843 s 12.35", IntermediateImage.PanelLabel(0, 0.8431f, 12.3456f));
        Assert.Equal("4: s 2", IntermediateImage.PanelLabel(3, null, 2f));
    }

    [Fact]
    public void OverlayResizesTheMapBilinearly()
    {
        using var image = MakeImage(4, 2, (_, _) => new Rgb24(0, 0, 0));
        using var map = torch.tensor(new float[] { 0, 1 }, 1, 2);
        using var overlay = CamImageWriter.CreateOverlay(image, map, 1f);
        // align_corners = false: 1x2 -> 2x4 gives 0, 0.25, 0.75, 1 on every row.
        float[] values = { 0f, 0.25f, 0.75f, 1f };
        for (int y = 0; y < 2; y++)
            for (int x = 0; x < 4; x++)
                Assert.Equal(ColorMaps.Jet(values[x]), overlay[x, y]);
    }

    [Fact]
    public void HeatmapIsTheJetOfTheMapAndClampsOutOfRangeValues()
    {
        using var dir = new TempDir();
        using var map = torch.tensor(new double[] { -0.5, 0, 0.3, 0.5, 1, 2 }, 2, 3); // float64 is accepted
        string path = dir.File("heat.png");
        CamImageWriter.SaveHeatmap(map, path);
        using var saved = Image.Load<Rgb24>(path);
        Assert.Equal((3, 2), (saved.Width, saved.Height));
        Assert.Equal(new Rgb24(0, 0, 128), saved[0, 0]);
        Assert.Equal(new Rgb24(0, 0, 128), saved[1, 0]);
        Assert.Equal(ColorMaps.Jet(0.3f), saved[2, 0]);
        Assert.Equal(new Rgb24(128, 255, 128), saved[0, 1]);
        Assert.Equal(new Rgb24(128, 0, 0), saved[1, 1]);
        Assert.Equal(new Rgb24(128, 0, 0), saved[2, 1]);
    }

    [Fact]
    public void GridOfHeatmapsHasTheExpectedSizeGuttersAndCells()
    {
        using var dir = new TempDir();
        var maps = Enumerable.Range(0, 7).Select(i => torch.full(10, 8, i / 6f)).ToList(); // H=10, W=8
        try
        {
            string path = dir.File("grid.png");
            CamImageWriter.SaveGrid(maps, path, columns: 3);
            using var grid = Image.Load<Rgb24>(path);
            Assert.Equal((3 * 8 + 2 * 2, 3 * 10 + 2 * 2), (grid.Width, grid.Height)); // 28 x 34
            Assert.Equal(ColorMaps.Jet(0f), grid[0, 0]);
            Assert.Equal(White, grid[8, 0]); // gutter
            Assert.Equal(White, grid[9, 5]);
            Assert.Equal(ColorMaps.Jet(1 / 6f), grid[10, 0]);
            Assert.Equal(ColorMaps.Jet(5 / 6f), grid[27, 12 + 9]); // map 5: row 1, column 2, bottom-right pixel
            Assert.Equal(White, grid[5, 10]); // horizontal gutter
            Assert.Equal(ColorMaps.Jet(1f), grid[0, 24]); // map 6: row 2, column 0
            Assert.Equal(White, grid[10, 24]); // unused cell
            Assert.Equal(White, grid[27, 33]);

            using var single = CamImageWriter.CreateGrid(maps.Take(2).ToList()); // fewer maps than columns
            Assert.Equal((8 + 2 + 8, 10), (single.Width, single.Height));
        }
        finally
        {
            maps.ForEach(m => m.Dispose());
        }
    }

    [Fact]
    public void GridOfOverlaysUsesTheBackgroundSize()
    {
        using var background = MakeTexture(20, 16);
        var maps = new List<Tensor> { torch.zeros(4, 5), torch.ones(8, 10), torch.full(16, 20, 0.5f), torch.zeros(1, 1), torch.ones(2, 2), torch.zeros(3, 3) };
        try
        {
            using var grid = CamImageWriter.CreateGrid(maps, background, columns: 5, alpha: 0.4f);
            Assert.Equal((5 * 20 + 4 * 2, 2 * 16 + 2), (grid.Width, grid.Height));
            Assert.Equal(Expected(background[3, 7], 0f, 0.4f), grid[3, 7]);
            Assert.Equal(Expected(background[3, 7], 1f, 0.4f), grid[22 + 3, 7]);
            Assert.Equal(Expected(background[19, 15], 0.5f, 0.4f), grid[44 + 19, 15]);
            Assert.Equal(Expected(background[0, 0], 0f, 0.4f), grid[0, 18]); // map 5
            Assert.Equal(White, grid[21, 3]);
        }
        finally
        {
            maps.ForEach(m => m.Dispose());
        }
    }

    [Fact]
    public void InvalidArgumentsNameTheParameter()
    {
        using var dir = new TempDir();
        using var image = MakeTexture(4, 4);
        using var good = torch.zeros(4, 4);
        using var rank3 = torch.zeros(1, 4, 4);
        using var nan = torch.tensor(new[] { 0f, float.NaN, 0f, 0f }, 2, 2);
        using var inf = torch.tensor(new[] { 0f, float.PositiveInfinity, 0f, 0f }, 2, 2);
        using var empty = torch.zeros(0, 4);
        string path = dir.File("x.png");

        Assert.Equal("map", Assert.ThrowsAny<ArgumentException>(() => CamImageWriter.SaveOverlay(image, rank3, path)).ParamName);
        Assert.Equal("map", Assert.ThrowsAny<ArgumentException>(() => CamImageWriter.SaveOverlay(image, nan, path)).ParamName);
        Assert.Equal("map", Assert.ThrowsAny<ArgumentException>(() => CamImageWriter.SaveHeatmap(inf, path)).ParamName);
        Assert.Equal("map", Assert.ThrowsAny<ArgumentException>(() => CamImageWriter.SaveHeatmap(empty, path)).ParamName);
        Assert.Equal("alpha", Assert.ThrowsAny<ArgumentException>(() => CamImageWriter.SaveOverlay(image, good, path, 1.5f)).ParamName);
        Assert.Equal("alpha", Assert.ThrowsAny<ArgumentException>(() => CamImageWriter.SaveOverlay(image, good, path, float.NaN)).ParamName);
        Assert.Equal("maps", Assert.ThrowsAny<ArgumentException>(() => CamImageWriter.SaveGrid([], path)).ParamName);
        Assert.Equal("maps", Assert.ThrowsAny<ArgumentException>(() => CamImageWriter.SaveGrid([good, rank3], path)).ParamName);
        Assert.Equal("maps", Assert.ThrowsAny<ArgumentException>(() => CamImageWriter.SaveGrid([good, nan], path)).ParamName);
        Assert.Equal("columns", Assert.ThrowsAny<ArgumentException>(() => CamImageWriter.SaveGrid([good], path, columns: 0)).ParamName);
        Assert.Equal("alpha", Assert.ThrowsAny<ArgumentException>(() => CamImageWriter.SaveGrid([good], path, image, alpha: -0.1f)).ParamName);
        Assert.False(File.Exists(path));
        Assert.Contains("maps[1]", Assert.ThrowsAny<ArgumentException>(() => CamImageWriter.SaveGrid([good, nan], path)).Message);
    }
}
