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
    }

    [Fact]
    public void InvalidValuesAreRejectedWithTheParameterName()
    {
        Assert.Equal("Resize", Assert.ThrowsAny<ArgumentException>(() => new ImagePreprocessing { Resize = 0 }).ParamName);
        Assert.Equal("CenterCrop", Assert.ThrowsAny<ArgumentException>(() => new ImagePreprocessing { CenterCrop = -1 }).ParamName);
        Assert.Equal("Mean", Assert.ThrowsAny<ArgumentException>(() => new ImagePreprocessing { Mean = new[] { 0f, 0f } }).ParamName);
        Assert.Equal("Std", Assert.ThrowsAny<ArgumentException>(() => new ImagePreprocessing { Std = new[] { 1f, 0f, 1f } }).ParamName);
        Assert.Equal("Mean", Assert.ThrowsAny<ArgumentException>(() => new ImagePreprocessing { Mean = new[] { 0f, float.NaN, 0f } }).ParamName);
        Assert.Equal("MaxPixels", Assert.ThrowsAny<ArgumentException>(() => new ImagePreprocessing { MaxPixels = 0 }).ParamName);
    }
}
