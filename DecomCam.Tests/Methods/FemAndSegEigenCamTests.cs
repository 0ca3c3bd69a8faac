using DecomCamNet.Cam;
using DecomCamNet.Tests.Support;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Methods;

/// <summary>FEM's k-sigma weights and Seg-Eigen-CAM's |G| ⊙ A component, from their formulas on ConvGapLinear.</summary>
public class FemAndSegEigenCamTests
{
    [Fact]
    public void FemWeightsAreTheShareOfPositionsAboveTheThreshold()
    {
        using var scope = NewDisposeScope();
        var model = new ConvGapLinear(channels: 12);
        var x = TestTensors.Batch(2, 16, 20);
        var a = nn.functional.relu(model.features.call(x)).detach();
        foreach (double k in new[] { 0.0, 1.0, 2.0 })
        {
            using var cam = new Fem(model, "features", new FemOptions(k));
            using var r = cam.Explain(x, new[] { 0, 1 });
            var w = r.Intermediate("weights");
            // Each weight is a count over 320 positions: the reference counts them again in float64.
            var a64 = a.to_type(ScalarType.Float64);
            var threshold = a64.mean(new long[] { 2, 3 }, keepdim: true) + a64.std(new long[] { 2, 3 }, unbiased: false, keepdim: true) * k;
            var expected = a64.gt(threshold).sum(new long[] { 2, 3 }).to_type(ScalarType.Float32) / 320f;
            // A position within float32 rounding of the threshold could count differently: at most one position, 1/320.
            Assert.True(TestTensors.MaxAbsDiff(expected, w) <= 1f / 320 + 1e-6f, $"k={k}");
            var raw = CamKernels.WeightedSum(w, a);
            Assert.True(TestTensors.MaxAbsDiff(raw, r.RawMaps[0]) < 1e-5f * raw.abs().max().item<float>(), $"k={k}"); // same float32 sums
        }
    }

    [Fact]
    public void FemWithAnUnreachableThresholdGivesZeroWeights()
    {
        using var scope = NewDisposeScope();
        var model = new ConvGapLinear(channels: 6);
        using var cam = new Fem(model, "features", new FemOptions(1e6));
        using var r = cam.Explain(TestTensors.Batch(1, 16, 16), 0);
        Assert.Equal(0f, r.Intermediate("weights").abs().max().item<float>());
        Assert.Equal(0f, r.RawMaps[0].abs().max().item<float>());
        Assert.Throws<ArgumentOutOfRangeException>(() => new Fem(model, "features", new FemOptions(double.PositiveInfinity)));
        Assert.Equal(1, TestTensors.ForwardHookCountInModel(model));
    }

    [Fact]
    public void SegEigenCamIsTheFirstComponentOfAbsoluteGradientsTimesActivations()
    {
        // On ConvGapLinear G_k = W_{c,k}/(h·w) at every position, so |G| ⊙ A = |W_c| ⊙ A / (h·w).
        using var scope = NewDisposeScope();
        var model = new ConvGapLinear(channels: 12);
        var x = TestTensors.Batch(2, 18, 18);
        using var cam = new SegEigenCam(model, "features");
        using var r = cam.Explain(x, new[] { 2, 4 });
        var a = nn.functional.relu(model.features.call(x)).detach();
        var rows = model.fc.weight!.detach().index_select(0, tensor(new long[] { 2, 4 })).abs() / (18 * 18);
        var expected = Pca.FirstComponentMaps(rows.unsqueeze(-1).unsqueeze(-1) * a);
        // Two float32 SVDs of the same matrix: 1e-4 of the map's range; using G instead of |G| changes the component.
        float scale = expected.abs().max().item<float>();
        Assert.True(TestTensors.MaxAbsDiff(expected, r.RawMaps[0]) < 1e-4f * scale);
        // The sign correction: the projection's largest magnitude is positive (|max| ≥ |min|).
        for (int i = 0; i < 2; i++)
            Assert.True(r.RawMaps[0][i].max().item<float>() >= -r.RawMaps[0][i].min().item<float>());
    }
}
