using DecomCamNet.Cam;
using DecomCamNet.Tests.Support;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Cam;

public class TargetTests
{
    [Fact]
    public void DefaultTargetIsEachImagesTopClass()
    {
        using var scope = NewDisposeScope();
        var model = new ConvGapLinear();
        var x = TestTensors.Batch(3, 8, 8);
        Tensor top;
        using (no_grad()) top = model.call(x).argmax(1);
        using var cam = new GradCam(model, "features");
        using var result = cam.Explain(x);
        Assert.Equal(top.data<long>().ToArray(), result.Classes!.data<long>().ToArray());
        using var explicitTop = cam.Explain(x, top.data<long>().Select(c => (int)c).ToArray());
        Assert.Equal(0f, TestTensors.MaxAbsDiff(result.Maps, explicitTop.Maps));
    }

    [Fact]
    public void SeveralTargetsPerImageGiveOneRowPerPair()
    {
        using var scope = NewDisposeScope();
        var x = TestTensors.Batch(2, 8, 8);
        using var cam = new GradCam(new ConvGapLinear(), "features");
        using var many = cam.Explain(x, CamTarget.Many(new[] { 0, 3 }, new[] { 2 }));
        Assert.Equal(new long[] { 3, 8, 8 }, many.Maps.shape);
        Assert.Equal(new long[] { 0, 0, 1 }, many.ImageIndex);
        using var first = cam.Explain(x[0..1], 3);
        using var second = cam.Explain(x[1..2], 2);
        // Batch 2 against batch 1: oneDNN may pick other kernels, and another test thread's backward may switch it off
        // (LibTorchBackends.SafeBackward): a few 1e-6 on [0,1] maps. A row paired with the wrong target differs by > 0.1.
        Assert.True(TestTensors.MaxAbsDiff(many.Maps[1], first.Maps[0]) < 1e-5f);
        Assert.True(TestTensors.MaxAbsDiff(many.Maps[2], second.Maps[0]) < 1e-5f);
    }

    [Fact]
    public void CustomScoreEqualsClassTarget()
    {
        using var scope = NewDisposeScope();
        var x = TestTensors.Batch(2, 8, 8);
        using var cam = new GradCam(new ConvGapLinear(), "features");
        using var byClass = cam.Explain(x, 4);
        using var custom = cam.Explain(x, CamTarget.Custom(output => output[.., 4], "logit 4"));
        Assert.Null(custom.Classes);
        Assert.True(TestTensors.MaxAbsDiff(byClass.Maps, custom.Maps) < 1e-5f); // two calls: as above
    }

    [Fact]
    public void CustomScoreOfWrongShapeIsNamed()
    {
        using var scope = NewDisposeScope();
        using var cam = new GradCam(new ConvGapLinear(), "features");
        var e = Assert.Throws<CamException>(() => cam.Explain(TestTensors.Batch(2, 8, 8), CamTarget.Custom(o => o.sum(), "sum")));
        Assert.Contains("'sum'", e.Message);
    }

    [Fact]
    public void SeveralLayersAreAveraged()
    {
        using var scope = NewDisposeScope();
        var model = new ConvGapLinear();
        var x = TestTensors.Batch(1, 8, 8);
        using var both = new GradCam(model, new CamLayer[] { "features", "features.conv" });
        using var r = both.Explain(x, 1);
        Assert.Equal(2, r.RawMaps.Count);
        Assert.Equal(new[] { "features", "features.conv" }, r.LayerNames);
        var expected = CamKernels.NormalizePerImage((CamKernels.ReluNormalize(r.RawMaps[0]) + CamKernels.ReluNormalize(r.RawMaps[1])) / 2);
        Assert.True(TestTensors.MaxAbsDiff(r.Maps, expected) < 1e-6f); // the same tensors, the same operations: rounding only
    }
}
