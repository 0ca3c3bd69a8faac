using DecomCamNet.Imaging;
using SixLabors.ImageSharp.PixelFormats;

namespace DecomCamNet.Tests.Imaging;

public class ColorMapsTests
{
    // OpenCV 4.6 COLORMAP_JET (cv2.applyColorMap on uint8 i, converted BGR -> RGB).
    [Theory]
    [InlineData(0, 0, 0, 128)]
    [InlineData(16, 0, 0, 192)]
    [InlineData(32, 0, 0, 255)]
    [InlineData(48, 0, 64, 255)]
    [InlineData(64, 0, 128, 255)]
    [InlineData(80, 0, 192, 255)]
    [InlineData(96, 2, 255, 254)]
    [InlineData(112, 66, 255, 190)]
    [InlineData(128, 130, 255, 126)]
    [InlineData(144, 194, 255, 62)]
    [InlineData(159, 254, 255, 1)]
    [InlineData(176, 255, 188, 0)]
    [InlineData(192, 255, 124, 0)]
    [InlineData(208, 255, 60, 0)]
    [InlineData(223, 255, 0, 0)]
    [InlineData(240, 188, 0, 0)]
    [InlineData(255, 128, 0, 0)]
    public void JetMatchesOpenCvTableWithinOneLevel(int index, int r, int g, int b)
    {
        Rgb24 c = ColorMaps.Jet(index / 255f);
        Assert.InRange(c.R, r - 1, r + 1);
        Assert.InRange(c.G, g - 1, g + 1);
        Assert.InRange(c.B, b - 1, b + 1);
    }

    [Theory]
    [InlineData(0f, 0, 0, 128)]
    [InlineData(0.125f, 0, 0, 255)]
    [InlineData(0.375f, 0, 255, 255)]
    [InlineData(0.5f, 128, 255, 128)]
    [InlineData(0.625f, 255, 255, 0)]
    [InlineData(0.875f, 255, 0, 0)]
    [InlineData(1f, 128, 0, 0)]
    [InlineData(-3f, 0, 0, 128)] // clamped
    [InlineData(7f, 128, 0, 0)]  // clamped
    public void JetKnotsAreExact(float v, int r, int g, int b)
    {
        Assert.Equal(new Rgb24((byte)r, (byte)g, (byte)b), ColorMaps.Jet(v));
    }

    [Fact]
    public void JetRejectsNaN()
    {
        Assert.Equal("value", Assert.Throws<ArgumentOutOfRangeException>(() => ColorMaps.Jet(float.NaN)).ParamName);
    }
}
