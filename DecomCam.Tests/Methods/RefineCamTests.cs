using DecomCamNet.Cam;
using DecomCamNet.Imaging;
using DecomCamNet.Tests.Support;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Methods;

/// <summary>RefineCAM: the product of its base method's per-layer maps, the base option, and the two-layer golden.</summary>
public class RefineCamTests
{
    [Fact]
    public void RefineCamIsTheMinMaxOfTheProductOfTheBaseMapsOfEachLayer()
    {
        using var scope = NewDisposeScope();
        var model = new ConvGapLinear(channels: 12);
        var x = TestTensors.Batch(2, 20, 20);
        CamLayer[] layers = { "features.conv", "features" };
        using var refine = new RefineCam(model, layers);
        using var r = refine.Explain(x, new[] { 1, 3 });
        var maps = new List<Tensor>();
        foreach (var layer in layers)
        {
            using var plus = new GradCamPlusPlus(model, layer);
            using var rp = plus.Explain(x, new[] { 1, 3 });
            maps.Add(rp.Maps.alias());
        }
        var expected = CamKernels.NormalizePerImage(maps[0] * maps[1]);
        // The same float32 maps multiplied: 1e-6; the mean of the two maps (the default aggregation) is off by > 0.1.
        Assert.True(TestTensors.MaxAbsDiff(expected, r.Maps) < 1e-6f);
        Assert.True(TestTensors.MaxAbsDiff(CamKernels.NormalizePerImage((maps[0] + maps[1]) / 2), r.Maps) > 0.1f);
        Assert.Equal(new long[] { 2, 2, 20, 20 }, r.Intermediate("layer_maps").shape);
        Assert.Equal(new[] { "features.conv", "features" }, r.LayerNames);
        Assert.Equal("refinecam", r.Method);
    }

    [Fact]
    public void RefineCamRunsTheBaseMethodItIsGiven()
    {
        using var scope = NewDisposeScope();
        var model = new ConvGapLinear(channels: 12);
        var x = TestTensors.Batch(1, 16, 16);
        using var refine = CamMethods.Create("refinecam", model, new CamLayer[] { "features" }, new CamMethodSettings { RefineBase = "gradcam" });
        using var grad = new GradCam(model, "features");
        using var rr = refine.Explain(x, 2);
        using var rg = grad.Explain(x, 2);
        // One layer: the base map, min-max again (float32 rounding of one division).
        Assert.True(TestTensors.MaxAbsDiff(CamKernels.NormalizePerImage(rg.Maps), rr.Maps) < 1e-6f);
        Assert.Equal(0f, TestTensors.MaxAbsDiff(rg.RawMaps[0], rr.RawMaps[0]));
        Assert.Contains("own base", Assert.Throws<ArgumentException>(() => new RefineCam(model, new CamLayer[] { "features" }, new RefineCamOptions("refinecam"))).Message);
        Assert.Contains("Unknown method", Assert.Throws<ArgumentException>(() => new RefineCam(model, new CamLayer[] { "features" }, new RefineCamOptions("nope"))).Message);
        Assert.Throws<ArgumentException>(() => new RefineCam(model, new CamLayer[] { "features", "missing" }));
        Assert.Equal(2, TestTensors.ForwardHookCountInModel(model)); // the two live methods'; the failed ones removed theirs
    }

    [Fact]
    public void TwoLayerRefineCamMatchesTheReference()
    {
        using var scope = NewDisposeScope();
        var (net, _, input, targets) = GoldenMapTests.Load("shapesnet");
        using var cam = new RefineCam(net, new CamLayer[] { "block2", "block3" });
        using var r = cam.Explain(input, targets);
        // Grad-CAM++ maps of the gradient family (1e-4 each, GoldenMapTests) multiplied, then rescaled: 1e-3.
        Assert.True(TestTensors.MaxAbsDiff(Golden("refinecam_two"), r.Maps) < 1e-3f);
        Assert.True(TestTensors.MaxAbsDiff(Golden("refinecam_two_raw2"), r.RawMaps[1]) < 1e-4f * Math.Max(1f, Golden("refinecam_two_raw2").abs().max().item<float>()));
    }

    private static Tensor Golden(string name) => NpyFile.Read(RepoPaths.Golden("cam", $"shapesnet_{name}.npy"));
}
