using DecomCamNet.Tests.Support;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Cam;

public class BadInputTests
{
    private static GradCam Cam(out ConvGapLinear model)
    {
        model = new ConvGapLinear();
        return new GradCam(model, "features");
    }

    [Fact]
    public void UnknownLayerNameListsValidNames()
    {
        var e = Assert.Throws<ArgumentException>(() => new GradCam(new ConvGapLinear(), "layer4"));
        Assert.Contains("'layer4'", e.Message);
        Assert.Contains("features.conv", e.Message);
        Assert.Contains("fc", e.Message);
    }

    [Fact]
    public void ForeignModuleIsRejected()
    {
        var other = new ConvGapLinear();
        var e = Assert.Throws<ArgumentException>(() => new GradCam(new ConvGapLinear(), other.features));
        Assert.Contains("not a submodule", e.Message);
    }

    [Theory]
    [InlineData(new long[] { 3, 8, 8 }, "[N,C,H,W]")]
    [InlineData(new long[] { 0, 3, 8, 8 }, "empty")]
    public void WrongShapeIsNamed(long[] shape, string expected)
    {
        using var scope = NewDisposeScope();
        using var cam = Cam(out _);
        var e = Assert.Throws<ArgumentException>(() => cam.Explain(zeros(shape)));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void IntegerDtypeIsNamed()
    {
        using var scope = NewDisposeScope();
        using var cam = Cam(out _);
        var e = Assert.Throws<ArgumentException>(() => cam.Explain(zeros(new long[] { 1, 3, 8, 8 }, dtype: ScalarType.Int64)));
        Assert.Contains("Int64", e.Message);
    }

    [Fact]
    public void DtypeMismatchWithModelIsNamed()
    {
        using var scope = NewDisposeScope();
        using var cam = Cam(out _);
        var e = Assert.Throws<ArgumentException>(() => cam.Explain(zeros(new long[] { 1, 3, 8, 8 }, dtype: ScalarType.Float64)));
        Assert.Contains("Float64", e.Message);
        Assert.Contains("Float32", e.Message);
    }

    [Fact]
    public void NaNInputIsNamed()
    {
        using var scope = NewDisposeScope();
        using var cam = Cam(out _);
        var x = zeros(1, 3, 8, 8);
        x[0, 0, 1, 1] = tensor(float.NaN);
        var e = Assert.Throws<ArgumentException>(() => cam.Explain(x));
        Assert.Contains("NaN", e.Message);
    }

    [Fact]
    public void NaNInModelOutputIsNamed()
    {
        using var scope = NewDisposeScope();
        using var cam = Cam(out var model);
        using (no_grad()) model.fc.bias![0] = tensor(float.NaN);
        var e = Assert.Throws<CamException>(() => cam.Explain(zeros(1, 3, 8, 8)));
        Assert.Contains("NaN", e.Message);
    }

    [Fact]
    public void TargetOutOfRangeIsNamed()
    {
        using var scope = NewDisposeScope();
        using var cam = Cam(out _);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => cam.Explain(zeros(1, 3, 8, 8), 5));
        Assert.Contains("class 5", e.Message);
        Assert.Contains("5 outputs", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => cam.Explain(zeros(1, 3, 8, 8), -1));
    }

    [Fact]
    public void TargetCountMismatchIsNamed()
    {
        using var scope = NewDisposeScope();
        using var cam = Cam(out _);
        var e = Assert.Throws<ArgumentException>(() => cam.Explain(zeros(2, 3, 8, 8), new[] { 1, 2, 3 }));
        Assert.Contains("3 per-image targets", e.Message);
        Assert.Contains("batch of 2", e.Message);
        Assert.Throws<ArgumentException>(() => cam.Explain(zeros(2, 3, 8, 8), CamTarget.Many(new[] { 1 })));
    }

    [Fact]
    public void LayerThatNeverFiredIsNamed()
    {
        using var scope = NewDisposeScope();
        var model = new ForwardBypassNet();
        using var cam = new GradCam(model, "conv");
        var e = Assert.Throws<CamException>(() => cam.Explain(zeros(1, 3, 8, 8)));
        Assert.Contains("'conv' did not run", e.Message);
        Assert.Contains("call()", e.Message);
    }

    [Fact]
    public void NonFeatureMapLayerIsNamed()
    {
        using var scope = NewDisposeScope();
        using var cam = new GradCam(new ConvGapLinear(), "fc");
        var e = Assert.Throws<NotAFeatureMapException>(() => cam.Explain(zeros(1, 3, 8, 8)));
        Assert.Contains("feature map", e.Message);
        Assert.Equal("fc", e.Layer);
        Assert.Equal(new long[] { 1, 5 }, e.Shape);
    }

    [Fact]
    public void MissingGradientIsNamed()
    {
        using var scope = NewDisposeScope();
        using var cam = new GradCam(new DetachingNet(), "conv");
        var e = Assert.Throws<CamException>(() => cam.Explain(TestTensors.Batch(1, 8, 8)));
        Assert.Contains("gradient", e.Message);
    }

    [Fact]
    public void DisposedMethodRefusesWork()
    {
        using var scope = NewDisposeScope();
        var cam = Cam(out _);
        cam.Dispose();
        Assert.Throws<ObjectDisposedException>(() => cam.Explain(zeros(1, 3, 8, 8)));
    }
}
