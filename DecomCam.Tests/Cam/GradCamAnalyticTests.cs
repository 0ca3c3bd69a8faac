using DecomCamNet.Cam;
using DecomCamNet.Tests.Support;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Cam;

public class GradCamAnalyticTests
{
    [Fact]
    public void GradCamEqualsClassicCamOnConvGapLinear()
    {
        using var scope = NewDisposeScope();
        var model = new ConvGapLinear();
        var x = TestTensors.Batch(2, 12, 10);
        using var cam = new GradCam(model, "features");
        using var result = cam.Explain(x, new[] { 1, 4 });

        // Classic CAM: M_c = Σ_k w_fc[c,k] A_k, then the same ReLU, min-max and bilinear resize.
        Tensor a;
        using (no_grad()) a = model.features.call(x);
        var w = model.fc.weight!.detach().index_select(0, tensor(new long[] { 1, 4 }));
        var classic = (w.unsqueeze(-1).unsqueeze(-1) * a).sum(1);
        // Grad-CAM's weights are the fc weights divided by h*w (the mean of a constant gradient).
        var expected = CamKernels.ReluNormalize(classic / (12 * 10));

        Assert.Equal(new long[] { 2, 12, 10 }, result.Maps.shape);
        // Two float32 routes to the same sums over 8 channels (rounding ~1e-7 on [0,1] maps); the convolution may also run
        // without oneDNN while another test thread is in a backward pass (LibTorchBackends.SafeBackward), a few 1e-6.
        // Grad-CAM weights that were off by one class or one channel would move the maps by > 1e-2.
        Assert.True(TestTensors.MaxAbsDiff(result.Maps, expected) < 1e-5f, $"diff {TestTensors.MaxAbsDiff(result.Maps, expected)}");
        float scale = Math.Max(1f, classic.abs().max().item<float>()); // raw maps are not normalised: relative 1e-5
        Assert.True(TestTensors.MaxAbsDiff(result.RawMaps[0] * (12 * 10), classic) < 1e-5f * scale);
        Assert.Equal(new long[] { 1, 4 }, result.Classes!.data<long>().ToArray());
    }

    [Fact]
    public void MapsAreInUnitRangeWithoutNaN()
    {
        using var scope = NewDisposeScope();
        var model = new ConvGapLinear();
        using var cam = new GradCam(model, "features");
        using var result = cam.Explain(TestTensors.Batch(3, 9, 9));
        Assert.Equal(0, isnan(result.Maps).sum().item<long>());
        Assert.True(result.Maps.min().item<float>() >= 0f);
        Assert.True(result.Maps.max().item<float>() <= 1f);
        // Each image's map reaches (almost) 1 unless the ReLU'd map is all zero.
        var maxima = result.Maps.amax(new long[] { 1, 2 }).data<float>().ToArray();
        Assert.All(maxima, m => Assert.True(m > 0.99f || m == 0f));
    }

    [Fact]
    public void ZeroInputGivesFiniteMaps()
    {
        using var scope = NewDisposeScope();
        using var cam = new GradCam(new ConvGapLinear(), "features");
        using var result = cam.Explain(zeros(1, 3, 8, 8));
        Assert.Equal(0, isnan(result.Maps).sum().item<long>());
    }

    [Fact]
    public void TwoRunsGiveIdenticalMaps()
    {
        using var scope = NewDisposeScope();
        var model = new ConvGapLinear();
        var x = TestTensors.Batch(2, 8, 8);
        using var cam = new GradCam(model, "features");
        using var r1 = cam.Explain(x, 2);
        using var r2 = cam.Explain(x, 2);
        // Identical up to the convolution kernel: another test thread's backward pass may switch oneDNN off process-wide
        // on CPUs without cache information (LibTorchBackends.SafeBackward); seen 7.7e-7 on [0,1] maps.
        Assert.True(TestTensors.MaxAbsDiff(r1.Maps, r2.Maps) < 1e-5f, $"{TestTensors.MaxAbsDiff(r1.Maps, r2.Maps)}");
    }
}
