using DecomCamNet.Cam;
using DecomCamNet.Imaging;
using DecomCamNet.Tests.Support;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Methods;

/// <summary>
/// EigenSmooth and AugSmooth (CamMethod) against the reference (reference/family_reference.py: eigen_smoothed,
/// aug_smoothed) on the golden cases, plus what follows from their definitions, and the sampled methods' settings.
/// </summary>
public class SmoothingTests
{
    public static TheoryData<string, string> EigenCases()
    {
        var data = new TheoryData<string, string>();
        foreach (var model in new[] { "shapesnet", "shapesnet_block2", "resnet18", "demo" })
            foreach (var method in new[] { "gradcam", "gradcam++", "layercam", "gradcamelementwise", "scorecam" })
                data.Add(model, method);
        return data;
    }

    [Theory]
    [MemberData(nameof(EigenCases))]
    public void EigenSmoothedMapsMatchTheReference(string model, string method)
    {
        using var scope = NewDisposeScope();
        var (net, layer, input, targets) = GoldenMapTests.Load(model);
        using var cam = CamMethods.Create(method, net, new CamLayer[] { layer }, new CamMethodSettings { EigenSmooth = true });
        using var r = cam.Explain(input, targets);
        string file = method.Replace("++", "pp") + "_eigensmooth";
        // A float32 SVD of weighted activations, as Eigen-CAM's goldens: 1e-3 of the raw map's scale, 1e-3 on [0,1] maps;
        // the channel sum instead of the component, or the other sign, misses by the map's range.
        var raw = Golden(model, file + "_raw");
        Assert.True(TestTensors.MaxAbsDiff(raw, r.RawMaps[0]) < 1e-3f * Math.Max(1f, raw.abs().max().item<float>()), "raw");
        Assert.True(TestTensors.MaxAbsDiff(Golden(model, file), r.Maps) < 1e-3f, "maps");
    }

    [Theory]
    [InlineData("shapesnet")]
    [InlineData("shapesnet_block2")]
    [InlineData("resnet18")]
    [InlineData("demo")]
    public void AugSmoothedMapsMatchTheReference(string model)
    {
        using var scope = NewDisposeScope();
        var (net, layer, input, targets) = GoldenMapTests.Load(model);
        foreach (var (method, eigen, file) in new[]
                 {
                     ("gradcam", false, "gradcam_augsmooth"), ("gradcam", true, "gradcam_aug_eigensmooth"),
                     ("guidedbackprop", false, "guidedbackprop_augsmooth"),
                 })
        {
            using var cam = CamMethods.Create(method, net, new CamLayer[] { layer }, new CamMethodSettings { AugSmooth = true, EigenSmooth = eigen });
            using var r = cam.Explain(input, targets);
            // Means of six [0,1] maps, each within the tolerance of its single-pass golden (1e-3: SVDs and resized maps).
            float diff = TestTensors.MaxAbsDiff(Golden(model, file), r.Maps);
            Assert.True(diff < 1e-3f, $"{file}: {diff}");
        }
    }

    [Fact]
    public void AugSmoothAveragesTheDeaugmentedMapsOfTheUnaugmentedPassesClasses()
    {
        using var scope = NewDisposeScope();
        var model = new ConvGapLinear(channels: 12);
        var x = TestTensors.Batch(2, 20, 26);
        using var plain = new GradCam(model, "features");
        using var smooth = new GradCam(model, "features") { AugSmooth = true };
        using var r = smooth.Explain(x);
        using var p = plain.Explain(x);
        Assert.Equal(p.Classes!.data<long>().ToArray(), r.Classes!.data<long>().ToArray());
        var classes = p.Classes!.data<long>().Select(c => (int)c).ToArray();
        var sum = zeros_like(p.Maps);
        foreach (var (flip, factor) in AugmentationSmoothing.Augmentations)
        {
            var xi = x * factor;
            using var ri = plain.Explain(flip ? xi.flip(-1) : xi, classes);
            sum += flip ? ri.Maps.flip(-1) : ri.Maps;
        }
        // The same passes in the same order: equal up to the float32 rounding of the sum (1e-6 on [0,1] maps).
        Assert.True(TestTensors.MaxAbsDiff(sum / 6, r.Maps) < 1e-6f);
        Assert.True(TestTensors.MaxAbsDiff(p.RawMaps[0], r.RawMaps[0]) < 1e-6f * p.RawMaps[0].abs().max().item<float>());
        Assert.True(TestTensors.MaxAbsDiff(p.Maps, r.Maps) > 1e-3f); // the augmentations do change the map
    }

    [Theory]
    [InlineData("eigencam")]
    [InlineData("eigengradcam")]
    [InlineData("kpcacam")]
    public void EigenSmoothLeavesPrincipalComponentMethodsUnchanged(string method)
    {
        using var scope = NewDisposeScope();
        var model = new ConvGapLinear(channels: 12);
        var x = TestTensors.Batch(2, 18, 18);
        using var plain = CamMethods.Create(method, model, new CamLayer[] { "features" });
        using var smooth = CamMethods.Create(method, model, new CamLayer[] { "features" }, new CamMethodSettings { EigenSmooth = true });
        using var a = plain.Explain(x, new[] { 0, 1 });
        using var b = smooth.Explain(x, new[] { 0, 1 });
        Assert.Equal(0f, TestTensors.MaxAbsDiff(a.RawMaps[0], b.RawMaps[0]));
    }

    [Fact]
    public void EigenSmoothIsTheFirstComponentOfTheWeightedActivations()
    {
        // Grad-CAM's weighted activations w_k A_k, projected on their first principal component (Pca.FirstComponentMaps).
        using var scope = NewDisposeScope();
        var model = new ConvGapLinear(channels: 12);
        var x = TestTensors.Batch(2, 18, 18);
        using var cam = new GradCam(model, "features") { EigenSmooth = true };
        using var r = cam.Explain(x, new[] { 0, 1 });
        var a = nn.functional.relu(model.features[0].call(x));
        var w = model.fc.weight!.index_select(0, tensor(new long[] { 0, 1 })) / (18 * 18);
        var expected = Pca.FirstComponentMaps(w.unsqueeze(-1).unsqueeze(-1) * a);
        // The same float32 SVD on activations recomputed by the same convolution: 1e-4 of the scale.
        Assert.True(TestTensors.MaxAbsDiff(expected, r.RawMaps[0]) < 1e-4f * expected.abs().max().item<float>());
    }

    [Theory]
    [InlineData("decomcam")]
    [InlineData("unioncam")]
    [InlineData("fullgrad")]
    [InlineData("guidedbackprop")]
    public void EigenSmoothOnAMethodItDoesNotApplyToThrowsAndLeavesNoHook(string method)
    {
        var model = new ConvGapLinear();
        var e = Assert.Throws<NotSupportedException>(() =>
            CamMethods.Create(method, model, new CamLayer[] { "features" }, new CamMethodSettings { EigenSmooth = true }));
        Assert.Contains(method, e.Message);
        Assert.Equal(0, TestTensors.ForwardHookCountInModel(model));
    }

    [Fact]
    public void SamplesAndNoiseStdReachTheSampledMethods()
    {
        using var scope = NewDisposeScope();
        var model = new ConvGapLinear(channels: 6);
        var x = TestTensors.Batch(1, 16, 16);
        CamLayer[] layer = { "features.conv" };
        var settings = new CamMethodSettings { BatchSize = 8, Samples = 2, NoiseStd = 0.7 };
        var pairs = new (ICamMethod Created, ICamMethod Direct)[]
        {
            (CamMethods.Create("smoothgradcam++", model, layer, settings), new SmoothGradCamPlusPlus(model, layer, new SmoothGradCamPlusPlusOptions(2, 0.7))),
            (CamMethods.Create("sscam", model, layer, settings), new SsCam(model, layer, new SsCamOptions(2, 0.7, BatchSize: 8))),
            (CamMethods.Create("iscam", model, layer, settings), new IsCam(model, layer, new IsCamOptions(2, BatchSize: 8))),
        };
        foreach (var (created, direct) in pairs)
        {
            using (created)
            using (direct)
            using (var a = created.Explain(x, 1))
            using (var b = direct.Explain(x, 1))
                // The same seeded draws and kernels; the second call on the model may run its few masked inputs in another
                // layout while the tuner tries settings across calls, which changes float32 rounding only.
                Assert.True(TestTensors.MaxAbsDiff(a.RawMaps[0], b.RawMaps[0]) <= 1e-6f, $"{created.Name}");
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => CamMethods.Create("sscam", model, layer, new CamMethodSettings { Samples = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => CamMethods.Create("smoothgradcam++", model, layer, new CamMethodSettings { NoiseStd = -1 }));
        Assert.Equal(0, TestTensors.ForwardHookCountInModel(model));
    }

    private static Tensor Golden(string model, string name) => NpyFile.Read(RepoPaths.Golden("cam", $"{model}_{name}.npy"));
}
