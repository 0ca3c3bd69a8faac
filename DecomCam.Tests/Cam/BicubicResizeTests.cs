using DecomCamNet.Cam;
using DecomCamNet.Tests.Support;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Cam;

public class BicubicResizeTests
{
    [Theory]
    [InlineData(7, 7, 224, 224)] // DecomCAM's OSSMs of a ResNet at 224 px
    [InlineData(14, 10, 33, 57)] // non-integer ratios, rows and columns apart
    [InlineData(9, 12, 4, 5)] // downsampling
    [InlineData(1, 3, 6, 2)] // a single row
    public void EqualsLibTorchsBicubicInterpolation(long h, long w, long height, long width)
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var maps = randn(2, 3, h, w);
        var expected = nn.functional.interpolate(maps, new[] { height, width }, mode: InterpolationMode.Bicubic, align_corners: false);
        var actual = BicubicResize.Apply(maps, height, width);
        Assert.Equal(expected.shape, actual.shape);
        // libtorch computes the source positions in float32, these matrices in float64: 1e-6 of values up to ~5.
        Assert.True(actual.allclose(expected, rtol: 0, atol: 1e-5), $"max difference {(actual - expected).abs().max().item<float>()}");
    }

    [Fact]
    public void TakesStacksOfAnyRankAndDtypeAndKeepsConstantsConstant()
    {
        using var scope = NewDisposeScope();
        manual_seed(4);
        var maps = randn(5, 6, dtype: ScalarType.Float64);
        var expected = nn.functional.interpolate(maps.reshape(1, 1, 5, 6), new long[] { 11, 13 }, mode: InterpolationMode.Bicubic).reshape(11, 13);
        var actual = BicubicResize.Apply(maps, 11, 13);
        Assert.Equal(ScalarType.Float64, actual.dtype);
        Assert.True(actual.allclose(expected, rtol: 0, atol: 1e-12));
        // The cubic weights of each output sum to 1: a constant map stays constant (up to rounding).
        var flat = BicubicResize.Apply(full(2, 4, 4, 3.5f), 9, 9);
        Assert.True(flat.sub(3.5f).abs().max().item<float>() < 1e-5f);
    }

    [Fact]
    public void CamKernelsResizeUsesItAndLeavesNoTensorsBehind()
    {
        var maps = randn(1, 10, 7, 7);
        long before = TestTensors.LiveTensors;
        using (var resized = CamKernels.Resize(maps, 224, 224, InterpolationMode.Bicubic))
            Assert.Equal(new long[] { 1, 10, 224, 224 }, resized.shape);
        Assert.Equal(before, TestTensors.LiveTensors);
        maps.Dispose();
        Assert.Throws<ArgumentException>(() => BicubicResize.Apply(ones(4), 2, 2));
    }
}
