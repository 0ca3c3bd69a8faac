using DecomCamNet.Cam;
using DecomCamNet.Evaluation.Metrics;
using DecomCamNet.Tests.Support;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Cam;

public class TargetClassRangeTests
{
    [Fact]
    public void NamesTheClassTheWidthAndTheValidRange()
    {
        TargetClassRange.Check(0, 3, "target");
        TargetClassRange.Check(2, 3, "target");
        var high = Assert.Throws<ArgumentOutOfRangeException>(() => TargetClassRange.Check(3, 3, "target"));
        Assert.Equal("Target class 3 is out of range: the model has 3 outputs (valid 0..2). (Parameter 'target')", high.Message);
        var negative = Assert.Throws<ArgumentOutOfRangeException>(() => TargetClassRange.Check(-1, 3, "classes"));
        Assert.Equal("Target class -1 is out of range: the model has 3 outputs (valid 0..2). (Parameter 'classes')", negative.Message);
    }

    [Fact]
    public void ClassTargetsAndMetricsReportTheSameMessage()
    {
        using var scope = NewDisposeScope();
        const string Expected = "Target class 7 is out of range: the model has 5 outputs (valid 0..4).";
        var model = new ConvGapLinear(classes: 5);
        var x = TestTensors.Batch(1, 8, 8);
        using var cam = new GradCam(model, "features");
        Assert.StartsWith(Expected, Assert.Throws<ArgumentOutOfRangeException>(() => cam.Explain(x, 7)).Message);
        Assert.StartsWith(Expected, Assert.Throws<ArgumentOutOfRangeException>(() => cam.Explain(x, CamTarget.Sum(1, 7))).Message);
        var segmenter = nn.Sequential(("conv", nn.Conv2d(3, 5, 1)));
        using var seg = new HiResCam(segmenter, "conv");
        Assert.StartsWith(Expected, Assert.Throws<ArgumentOutOfRangeException>(() => seg.Explain(x, CamTarget.Segmentation(7))).Message);
        var maps = full(1, 8, 8, 0.5f);
        var metric = Assert.Throws<ArgumentOutOfRangeException>(() => ConfidenceChange.Compute(model, x, maps, TargetClasses.PerImage(7)));
        Assert.StartsWith(Expected, metric.Message);
        Assert.Equal("classes", metric.ParamName);
    }
}
