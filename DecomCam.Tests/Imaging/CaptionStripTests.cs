using DecomCamNet.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static DecomCamNet.Tests.Imaging.ImagingTestSupport;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Imaging;

/// <summary>Captioned overlays and labelled grids: the map untouched above, dark text and a jet bar in a white strip below.</summary>
public sealed class CaptionStripTests
{
    private static readonly Rgb24 White = new(255, 255, 255), Black = new(0, 0, 0);

    private static Image<Rgb24> Picture(int width, int height) => MakeImage(width, height, (x, y) => new Rgb24((byte)(x % 200), (byte)(y % 150), 90));

    [Fact]
    public void ACaptionAddsAStripWithDarkTextAndAJetBarBelowTheUntouchedOverlay()
    {
        using var scope = NewDisposeScope();
        using var picture = Picture(128, 96);
        var map = linspace(0f, 1f, 96 * 128).reshape(96, 128);
        using var bare = CamImageWriter.CreateOverlay(picture, map);
        using var captioned = CamImageWriter.CreateOverlay(picture, map, caption: "class 5 (ring), score 10.9900");
        Assert.Equal(128, captioned.Width);
        Assert.InRange(captioned.Height, 96 + 20, 96 + 60);
        for (int y = 0; y < 96; y++)
            for (int x = 0; x < 128; x++)
                Assert.Equal(bare[x, y], captioned[x, y]);

        // The bar: the strip's row that holds jet(0); from there to jet(1) it runs through jet(t), t rising linearly.
        int barRow = Enumerable.Range(96, captioned.Height - 96).First(y => Enumerable.Range(0, 128).Any(x => captioned[x, y] == ColorMaps.Jet(0f)));
        int x0 = Enumerable.Range(0, 128).First(x => captioned[x, barRow] == ColorMaps.Jet(0f));
        int x1 = Enumerable.Range(0, 128).Last(x => captioned[x, barRow] == ColorMaps.Jet(1f));
        Assert.True(x1 - x0 > 90, $"bar from {x0} to {x1}");
        for (int x = x0; x <= x1; x++)
            Assert.Equal(ColorMaps.Jet((float)(x - x0) / (x1 - x0)), captioned[x, barRow]);
        Assert.Equal(255, captioned[(x0 + x1) / 2, barRow].G); // green in the middle

        // Above the bar: black text on white, nothing else, and enough ink for two lines of about 15 characters.
        int ink = 0;
        for (int y = 96; y < barRow - 2; y++)
            for (int x = 0; x < 128; x++)
            {
                Assert.True(captioned[x, y] == White || captioned[x, y] == Black, $"({x},{y}) is {captioned[x, y]}");
                if (captioned[x, y] == Black) ink++;
            }
        Assert.InRange(ink, 200, 1200);
    }

    [Fact]
    public void TheHostMapOverloadCaptionsAlikeAndNullLeavesTheOverlayBare()
    {
        using var scope = NewDisposeScope();
        using var picture = Picture(64, 48);
        var map = rand(48, 64);
        float[] host = map.data<float>().ToArray();
        using var fromTensor = CamImageWriter.CreateOverlay(picture, map, 0.4f, "feature 273, score 1.2500");
        using var fromHost = CamImageWriter.CreateOverlay(picture, host, 0.4f, "feature 273, score 1.2500");
        using var bare = CamImageWriter.CreateOverlay(picture, host, 0.4f, caption: null);
        Assert.Equal((64, 48), (bare.Width, bare.Height));
        Assert.Equal((fromTensor.Width, fromTensor.Height), (fromHost.Width, fromHost.Height));
        for (int y = 0; y < fromTensor.Height; y++)
            for (int x = 0; x < 64; x++)
                Assert.Equal(fromTensor[x, y], fromHost[x, y]);
    }

    [Fact]
    public void GridLabelsGoUnderEachPanelAndMustBeOnePerMap()
    {
        using var scope = NewDisposeScope();
        var maps = Enumerable.Range(0, 3).Select(i => full(40, 40, 0.3f * i)).ToList();
        using var bare = CamImageWriter.CreateGrid(maps, columns: 2);
        using var labelled = CamImageWriter.CreateGrid(maps, columns: 2, labels: ["1: w 1", "2: w 0.5", "3: w 0"]);
        int strip = (labelled.Height - bare.Height) / 2;
        Assert.True(strip > 7, $"strip {strip}");
        Assert.Equal((bare.Width, bare.Height + 2 * strip), (labelled.Width, labelled.Height));
        int InkIn(int cell) // black pixels in the strip below cell (left to right, top to bottom)
        {
            int x0 = cell % 2 * (40 + CamImageWriter.GridGutter), y0 = cell / 2 * (40 + strip + CamImageWriter.GridGutter) + 40;
            int n = 0;
            for (int y = y0; y < y0 + strip; y++)
                for (int x = x0; x < x0 + 40; x++)
                    if (labelled[x, y] == Black) n++;
            return n;
        }
        Assert.All(Enumerable.Range(0, 3), cell => Assert.InRange(InkIn(cell), 20, 400));
        Assert.Equal(0, InkIn(3)); // the unused cell stays white
        for (int i = 0; i < 3; i++) // the panels themselves are the bare grid's
        {
            int bx = i % 2 * 42, by = i / 2 * 42, ly = i / 2 * (42 + strip);
            Assert.Equal(bare[bx + 20, by + 20], labelled[bx + 20, ly + 20]);
        }
        Assert.Throws<ArgumentException>(() => CamImageWriter.CreateGrid(maps, labels: ["1", "2"]));
    }
}
