using DecomCamNet.Imaging;

namespace DecomCamNet.Tests.Imaging;

public class ImagePreprocessingTests
{
    [Theory]
    [InlineData(300, 200, 256, 384, 256)]
    [InlineData(200, 300, 256, 256, 384)]
    [InlineData(640, 480, 256, 341, 256)] // 256 * 640 / 480 = 341.33 -> 341
    [InlineData(500, 375, 256, 341, 256)] // 341.33 -> 341
    [InlineData(333, 500, 256, 256, 384)] // 384.38 -> 384
    [InlineData(1000, 3, 256, 85333, 256)]
    [InlineData(256, 256, 256, 256, 256)]
    [InlineData(100, 80, 256, 320, 256)] // enlarging
    public void ResizedSizeFollowsTorchvision(int w, int h, int n, int ew, int eh)
    {
        Assert.Equal((ew, eh), ImagePreprocessing.ResizedSize(w, h, n));
    }

    [Fact]
    public void PresetsHaveTheDocumentedValues()
    {
        var imageNet = ImagePreprocessing.ImageNet;
        Assert.Equal(256, imageNet.Resize);
        Assert.Equal(224, imageNet.CenterCrop);
        Assert.Equal(new[] { 0.485f, 0.456f, 0.406f }, imageNet.Mean);
        Assert.Equal(new[] { 0.229f, 0.224f, 0.225f }, imageNet.Std);
        Assert.Equal(64_000_000L, imageNet.MaxPixels);
        Assert.Null(ImagePreprocessing.None.Resize);
        Assert.Null(ImagePreprocessing.None.CenterCrop);
        Assert.Equal(new[] { 0.485f, 0.456f, 0.406f }, ImagePreprocessing.None.Mean);
        Assert.Same(ImagePreprocessing.None, ImagePreprocessing.AsIs);
        Assert.Equal((224, 224), imageNet.OutputSize(300, 200));
        Assert.Equal((300, 200), ImagePreprocessing.None.OutputSize(300, 200));
    }

    [Fact]
    public void EqualityComparesValuesAndMeanIsCopied()
    {
        var mean = new[] { 0.5f, 0.5f, 0.5f };
        var a = new ImagePreprocessing { Resize = 10, Mean = mean };
        mean[0] = 9f;
        var b = new ImagePreprocessing { Resize = 10, Mean = new[] { 0.5f, 0.5f, 0.5f } };
        Assert.Equal(0.5f, a.Mean[0]);
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, b with { CenterCrop = 8 });
        Assert.Equal(ImagePreprocessing.ImageNet, new ImagePreprocessing { Resize = 256, CenterCrop = 224 });
        Assert.Contains("Mean = [0.5, 0.5, 0.5]", a.ToString());
        Assert.NotEqual(a, a with { PixelScale = 255 });
        Assert.Contains("PixelScale = 255", (a with { PixelScale = 255 }).ToString());
    }

    [Fact]
    public void PixelScale255GivesTheRawPixelValuesMinusTheMean()
    {
        using var image = new SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgb24>(3, 1);
        image[0, 0] = new(0, 1, 2);
        image[1, 0] = new(127, 128, 129);
        image[2, 0] = new(253, 254, 255);
        var caffe = ImagePreprocessing.None with { PixelScale = 255, Mean = new[] { 100f, 0f, 0f }, Std = new[] { 1f, 1f, 2f } };
        using var t = ImageLoader.ToTensor(image, caffe);
        // 255 / 255 = 1 divides exactly: the values are the pixels, then (x - mean) / std, all exact in float32.
        Assert.Equal(new[] { -100f, 27f, 153f, 1f, 128f, 254f, 1f, 64.5f, 127.5f }, t.data<float>().ToArray());
        using var unit = ImageLoader.ToTensor(image, ImagePreprocessing.None with { Mean = new[] { 0f, 0f, 0f }, Std = new[] { 1f, 1f, 1f } });
        Assert.Equal(253f / 255f, unit.data<float>()[2]);
        Assert.Equal(127f / 255f, unit.data<float>()[1]);
    }

    [Fact]
    public void InvalidValuesAreRejectedWithTheParameterName()
    {
        Assert.Equal("Resize", Assert.ThrowsAny<ArgumentException>(() => new ImagePreprocessing { Resize = 0 }).ParamName);
        Assert.Equal("CenterCrop", Assert.ThrowsAny<ArgumentException>(() => new ImagePreprocessing { CenterCrop = -1 }).ParamName);
        Assert.Equal("Mean", Assert.ThrowsAny<ArgumentException>(() => new ImagePreprocessing { Mean = new[] { 0f, 0f } }).ParamName);
        Assert.Equal("Std", Assert.ThrowsAny<ArgumentException>(() => new ImagePreprocessing { Std = new[] { 1f, 0f, 1f } }).ParamName);
        Assert.Equal("PixelScale", Assert.ThrowsAny<ArgumentException>(() => new ImagePreprocessing { PixelScale = 0 }).ParamName);
        Assert.Equal("PixelScale", Assert.ThrowsAny<ArgumentException>(() => new ImagePreprocessing { PixelScale = float.PositiveInfinity }).ParamName);
        Assert.Equal("Mean", Assert.ThrowsAny<ArgumentException>(() => new ImagePreprocessing { Mean = new[] { 0f, float.NaN, 0f } }).ParamName);
        Assert.Equal("MaxPixels", Assert.ThrowsAny<ArgumentException>(() => new ImagePreprocessing { MaxPixels = 0 }).ParamName);
    }
}
