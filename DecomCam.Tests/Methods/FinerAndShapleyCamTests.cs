using DecomCamNet.Cam;
using DecomCamNet.Tests.Support;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Methods;

/// <summary>
/// Finer-CAM and ShapleyCAM, the methods that change what is differentiated: closed forms on ConvGapLinear (where
/// ∂y_c/∂A_k = W_{c,k}/(h·w)) and on a quadratic score, and their bad input.
/// </summary>
public class FinerAndShapleyCamTests
{
    [Fact]
    public void FinerCamWithOneComparisonIsGradCamOfTheDifferenceOfTwoClassRows()
    {
        // S = p_j (y_c − y_j) / (p_j + 1e-9): its gradient is that of y_c − y_j up to 1e-9 / p_j relative, so the weights
        // are (W_c − W_j)/(h·w) for the class j whose logit is nearest y_c.
        using var scope = NewDisposeScope();
        var model = new ConvGapLinear(channels: 12);
        var x = TestTensors.Batch(2, 20, 24);
        var classes = new long[] { 1, 4 };
        using var cam = new FinerCam(model, "features", new FinerCamOptions(Comparisons: 1));
        using var r = cam.Explain(x, new[] { 1, 4 });
        var logits = model.call(x).detach();
        var own = logits.gather(1, tensor(classes).unsqueeze(1));
        var distance = (logits - own).abs();
        distance.scatter_(1, tensor(classes).unsqueeze(1), full_like(distance, double.PositiveInfinity));
        var nearest = distance.argmin(1);
        Assert.Equal(nearest.data<long>().ToArray(), r.Intermediate("comparison_classes").squeeze(1).data<long>().ToArray());
        var w = model.fc.weight!.detach();
        var rows = (w.index_select(0, tensor(classes)) - w.index_select(0, nearest)) / (20 * 24);
        var expected = CamKernels.WeightedSum(rows, nn.functional.relu(model.features.call(x)).detach());
        // float32 sums of 12 products of order 1: 1e-5 of the map's scale; the wrong comparison class is off by its row.
        float scale = expected.abs().max().item<float>();
        Assert.True(TestTensors.MaxAbsDiff(expected, r.RawMaps[0]) < 1e-5f * scale);
    }

    [Fact]
    public void FinerCamWithoutContrastIsGradCam()
    {
        // α = 0: S = y_c Σp_j/(Σp_j + 1e-9), Grad-CAM's score up to a factor within 1e-8 of 1 (Σp_j ≥ 0.1 here).
        using var scope = NewDisposeScope();
        var model = new ConvGapLinear(channels: 12);
        var x = TestTensors.Batch(2, 20, 20);
        using var finer = new FinerCam(model, "features", new FinerCamOptions(Alpha: 0));
        using var grad = new GradCam(model, "features");
        using var rf = finer.Explain(x, new[] { 0, 3 });
        using var rg = grad.Explain(x, new[] { 0, 3 });
        float scale = rg.RawMaps[0].abs().max().item<float>();
        Assert.True(TestTensors.MaxAbsDiff(rg.RawMaps[0], rf.RawMaps[0]) < 1e-5f * scale); // float32 rounding, as above
        Assert.Equal(3, rf.Intermediate("comparison_classes").shape[1]);
    }

    [Fact]
    public void FinerCamRejectsWhatItCannotContrast()
    {
        using var scope = NewDisposeScope();
        var model = new ConvGapLinear(channels: 6, classes: 3);
        var x = TestTensors.Batch(1, 16, 16);
        Assert.Throws<ArgumentOutOfRangeException>(() => new FinerCam(model, "features", new FinerCamOptions(Comparisons: 0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FinerCam(model, "features", new FinerCamOptions(Alpha: double.NaN)));
        Assert.Equal(0, TestTensors.ForwardHookCountInModel(model));
        using var cam = new FinerCam(model, "features");
        Assert.Contains("3 outputs", Assert.Throws<CamException>(() => cam.Explain(x, 0)).Message);
        using var one = new FinerCam(model, "features", new FinerCamOptions(Comparisons: 1));
        Assert.Contains("class targets", Assert.Throws<CamException>(() => one.Explain(x, CamTarget.Custom(o => o.sum(1)))).Message);
        Assert.Equal(2, TestTensors.ForwardHookCountInModel(model)); // only the two live methods' hooks
    }

    [Fact]
    public void ShapleyCamIsGradCamWhereTheScoreIsPiecewiseLinear()
    {
        // ReLU → average pool → linear: the Hessian of a logit with respect to A is zero, so w = mean G.
        using var scope = NewDisposeScope();
        var model = new ConvGapLinear(channels: 12);
        var x = TestTensors.Batch(2, 20, 20);
        using var shapley = new ShapleyCam(model, "features");
        using var grad = new GradCam(model, "features");
        using var rs = shapley.Explain(x, new[] { 1, 2 });
        using var rg = grad.Explain(x, new[] { 1, 2 });
        float scale = rg.RawMaps[0].abs().max().item<float>();
        Assert.True(TestTensors.MaxAbsDiff(rg.RawMaps[0], rs.RawMaps[0]) < 1e-6f * scale); // the same float32 sums
    }

    [Fact]
    public void ShapleyCamTakesHalfTheHessianTermOfAQuadraticScore()
    {
        // S = Σ c·A² + d·A over the conv output: G = 2cA + d, H·A = 2cA, so G − ½H·A = cA + d and w_k = mean(cA_k + d).
        using var scope = NewDisposeScope();
        var model = new ConvOutputNet();
        var x = TestTensors.Batch(2, 10, 12);
        const float c = 0.3f, d = -0.2f;
        var target = CamTarget.Custom(o => (o * o * c + o * d).sum(1), "quadratic");
        using var cam = new ShapleyCam(model, "conv");
        using var r = cam.Explain(x, target);
        var a = model.conv.call(x).detach();
        var expectedWeights = (a * c + d).mean(new long[] { 2, 3 });
        // Means of 120 float32 values of order 1: 1e-6; dropping the Hessian term (Grad-CAM) moves weights by mean(cA).
        Assert.True(TestTensors.MaxAbsDiff(expectedWeights, r.Intermediate("weights")) < 1e-5f);
        Assert.True(TestTensors.MaxAbsDiff((a * 2 * c + d).mean(new long[] { 2, 3 }), r.Intermediate("weights")) > 1e-2f);
        var expected = CamKernels.WeightedSum(expectedWeights, a);
        Assert.True(TestTensors.MaxAbsDiff(expected, r.RawMaps[0]) < 1e-5f * expected.abs().max().item<float>());
    }

    [Fact]
    public void ShapleyCamMatchesTheReferenceWithASoftmaxTarget()
    {
        // The softmax's curvature makes H·A non-zero (up to 4e-4 on this case; reference/family_manifest.json).
        using var scope = NewDisposeScope();
        var (net, layer, input, targets) = GoldenMapTests.Load("shapesnet");
        using var cam = new ShapleyCam(net, layer);
        using var r = cam.Explain(input, CamTarget.Softmax(targets));
        var weights = Golden("shapesnet", "shapleycam_softmax_weights");
        // One float32 forward and a double backward: 0.1% of the largest weight (9e-4); half the Hessian term is 2e-4.
        Assert.True(TestTensors.MaxAbsDiff(weights, r.Intermediate("weights")) < 1e-3f * weights.abs().max().item<float>());
        Assert.True(TestTensors.MaxAbsDiff(Golden("shapesnet", "shapleycam_softmax"), r.Maps) < 1e-3f);
    }

    private static Tensor Golden(string model, string name) => DecomCamNet.Imaging.NpyFile.Read(RepoPaths.Golden("cam", $"{model}_{name}.npy"));

    /// <summary>conv → flattened output: the score is whatever the custom target makes of the conv's output.</summary>
    private sealed class ConvOutputNet : nn.Module<Tensor, Tensor>
    {
        public readonly TorchSharp.Modules.Conv2d conv;

        public ConvOutputNet() : base(nameof(ConvOutputNet))
        {
            manual_seed(3);
            conv = nn.Conv2d(3, 4, 3, padding: 1);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => conv.call(x).flatten(1);
    }
}
