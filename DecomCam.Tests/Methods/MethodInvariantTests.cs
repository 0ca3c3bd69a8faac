using DecomCamNet.Cam;
using DecomCamNet.Tests.Support;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Methods;

public class MethodInvariantTests
{
    public static TheoryData<string> Methods => MethodFactory.All();

    [Theory]
    [MemberData(nameof(Methods))]
    public void ShapeRangeAndDeterminism(string method)
    {
        using var scope = NewDisposeScope();
        var model = new ConvGapLinear(channels: 12);
        var x = TestTensors.Batch(2, 44, 40);
        using var cam = MethodFactory.Create(method, model, "features");
        using var r1 = cam.Explain(x, new[] { 1, 3 });
        using var r2 = cam.Explain(x, new[] { 1, 3 });
        Assert.Equal(new long[] { 2, 44, 40 }, r1.Maps.shape);
        Assert.Equal(0, isnan(r1.Maps).sum().item<long>());
        Assert.True(r1.Maps.min().item<float>() >= 0f && r1.Maps.max().item<float>() <= 1f);
        // Deterministic up to the convolution kernel: on machines without CPU cache information another thread's
        // backward pass switches oneDNN off process-wide (LibTorchBackends.SafeBackward), and libtorch's own
        // convolution rounds differently (seen: 2.4e-6 on [0,1] maps). A real non-determinism moves maps by far more.
        Assert.True(TestTensors.MaxAbsDiff(r1.Maps, r2.Maps) < 1e-5f, $"{TestTensors.MaxAbsDiff(r1.Maps, r2.Maps)}");
        Assert.Equal(method, cam.Name);
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void ConstantAndZeroInputsGiveNoNaN(string method)
    {
        using var scope = NewDisposeScope();
        using var cam = MethodFactory.Create(method, new ConvGapLinear(), "features");
        using var zero = cam.Explain(zeros(1, 3, 42, 42), 0);
        using var constant = cam.Explain(full(new long[] { 1, 3, 42, 42 }, 0.5f), 0);
        Assert.Equal(0, isnan(zero.Maps).sum().item<long>());
        Assert.Equal(0, isnan(constant.Maps).sum().item<long>());
        foreach (var t in zero.Intermediates.Values.Concat(constant.Intermediates.Values))
            Assert.Equal(0, isnan(t).sum().item<long>());
    }

    [Theory]
    [InlineData("scorecam", "masked forwards")]
    [InlineData("unioncam", "masked forwards")]
    [InlineData("ablationcam", "ablations")]
    [InlineData("sscam", "noisy masked forwards")]
    [InlineData("iscam", "scaled masked forwards")]
    public void LiveTensorsWhileScoringDoNotGrowWithTheChannelCount(string method, string stage)
    {
        // Between batches of masked forwards, the tensors alive are the same whether the layer has 8 or 64 channels
        // (2 or 16 batches of 4): memory is bounded by one batch, not by K.
        long AliveBetweenBatches(int channels)
        {
            using var model = new ConvGapLinear(channels: channels);
            using var x = TestTensors.Batch(1, 40, 40);
            using var cam = CamMethods.Create(method, model, new CamLayer[] { "features" }, new CamMethodSettings { BatchSize = 4 });
            var seen = new List<long>();
            long before = TestTensors.LiveTensors;
            cam.Explain(x, 1, new SyncProgress(p => { if (p.Stage == stage) seen.Add(TestTensors.LiveTensors); })).Dispose();
            Assert.True(seen.Count > 1, $"{seen.Count} batches");
            Assert.All(seen, n => Assert.Equal(seen[0], n));
            return seen[0] - before;
        }

        Assert.Equal(AliveBetweenBatches(8), AliveBetweenBatches(64));
    }

    [Theory]
    [InlineData("scorecam")]
    [InlineData("unioncam")]
    [InlineData("decomcam")]
    [InlineData("ablationcam")]
    [InlineData("sscam")]
    [InlineData("iscam")]
    public void MaskedForwardMethodsDoNotDependOnBatchSize(string method)
    {
        using var scope = NewDisposeScope();
        var model = new ConvGapLinear(channels: 12);
        var x = TestTensors.Batch(2, 44, 44);
        using var one = CamMethods.Create(method, model, new CamLayer[] { "features" }, new CamMethodSettings { BatchSize = 1 });
        using var byDefault = CamMethods.Create(method, model, new CamLayer[] { "features" });
        using var all = CamMethods.Create(method, model, new CamLayer[] { "features" }, new CamMethodSettings { BatchSize = 64 });
        using var r1 = one.Explain(x, new[] { 0, 2 });
        using var rd = byDefault.Explain(x, new[] { 0, 2 });
        using var r64 = all.Explain(x, new[] { 0, 2 });
        // oneDNN picks other kernels for other batch sizes: masked scores move by ~1e-6 relative, DecomCAM's weights
        // (score / max score) by ~4e-6 and the [0,1] maps by up to ~2e-5. A wrong weight or mask moves them by > 1e-2.
        Assert.True(TestTensors.MaxAbsDiff(r1.Maps, rd.Maps) < 1e-4f, $"default: {TestTensors.MaxAbsDiff(r1.Maps, rd.Maps)}");
        Assert.True(TestTensors.MaxAbsDiff(r1.Maps, r64.Maps) < 1e-4f, $"64: {TestTensors.MaxAbsDiff(r1.Maps, r64.Maps)}");
    }

    [Theory]
    [InlineData("scorecam")]
    [InlineData("unioncam")]
    [InlineData("decomcam")]
    [InlineData("ablationcam")]
    public void MaskedForwardMethodsDoNotDependOnTheLayout(string method)
    {
        using var scope = NewDisposeScope();
        var model = new ConvGapLinear(channels: 12);
        var x = TestTensors.Batch(2, 44, 44);
        var contiguous = CamMethods.Create(method, model, new CamLayer[] { "features" }, new CamMethodSettings { MaskedLayout = MaskedInputLayout.Contiguous });
        var channelsLast = CamMethods.Create(method, model, new CamLayer[] { "features" }, new CamMethodSettings { MaskedLayout = MaskedInputLayout.ChannelsLast });
        using var rc = contiguous.Explain(x, new[] { 0, 2 });
        using var rl = channelsLast.Explain(x, new[] { 0, 2 });
        contiguous.Dispose();
        channelsLast.Dispose();
        // Other convolution kernels, same math: scores move by ~1e-6 relative, maps as in the batch-size test above.
        Assert.True(TestTensors.MaxAbsDiff(rc.Maps, rl.Maps) < 1e-4f, $"{TestTensors.MaxAbsDiff(rc.Maps, rl.Maps)}");
        Assert.True(MaskedForwards.ToChannelsLast(x).stride(1) == 1);
        Assert.Equal(0f, TestTensors.MaxAbsDiff(MaskedForwards.ToChannelsLast(x), x));
    }

    [Theory]
    [InlineData("scorecam")]
    [InlineData("sscam")]
    [InlineData("iscam")]
    [InlineData("unioncam")]
    [InlineData("ablationcam")]
    [InlineData("decomcam")]
    public void MaskedForwardTuningChangesNoMap(string method)
    {
        using var scope = NewDisposeScope();
        var model = new ConvGapLinear(channels: 64); // 4 rows x 64 channels: enough masked inputs for the tuner to try several batches
        var x = TestTensors.Batch(4, 44, 44);
        int[] targets = [0, 2, 1, 3];
        var log = new ListLogger();
        var settings = new CamMethodSettings { Samples = 2 }; // SS-CAM, IS-CAM: 2 x 256 inputs
        using var off = CamMethods.Create(method, model, new CamLayer[] { "features" }, settings with { TuneMaskedForwards = false });
        using var on = CamMethods.Create(method, model, new CamLayer[] { "features" }, settings, log);
        using var r0 = off.Explain(x, targets);
        using var r1 = on.Explain(x, targets); // the first call: tuning batches of several sizes
        using var r2 = on.Explain(x, targets); // later calls: the kept (or default) setting
        // Batch composition changes only float32 rounding (maps move by up to ~2e-5, as in the batch-size test above).
        Assert.True(TestTensors.MaxAbsDiff(r0.Maps, r1.Maps) < 1e-4f, $"first: {TestTensors.MaxAbsDiff(r0.Maps, r1.Maps)}");
        Assert.True(TestTensors.MaxAbsDiff(r0.Maps, r2.Maps) < 1e-4f, $"later: {TestTensors.MaxAbsDiff(r0.Maps, r2.Maps)}");
        // DecomCAM forwards 4 x (Q+1) inputs: too few to tune within a quarter of them.
        Assert.Equal(method != "decomcam", log.Messages.Any(m => m.StartsWith("Masked forwards on 3x44x44", StringComparison.Ordinal)));
    }

    [Fact]
    public void ScoreCamReportsProgressAndCancels()
    {
        using var scope = NewDisposeScope();
        var model = new ConvGapLinear(channels: 12);
        var x = TestTensors.Batch(1, 20, 20);
        using var cam = new ScoreCam(model, "features", new ScoreCamOptions(4));
        var reports = new List<CamProgress>();
        cam.Explain(x, 0, new SyncProgress(reports.Add)).Dispose();
        Assert.NotEmpty(reports);
        Assert.Equal(reports[^1].Total, reports[^1].Done);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.Throws<OperationCanceledException>(() => cam.Explain(x, 0, null, cts.Token));
        Assert.Equal(1, TestTensors.ForwardHookCount(model.features));
    }

    [Fact]
    public void UnionCamSelectionRuleHolds()
    {
        using var scope = NewDisposeScope();
        var model = new ConvGapLinear(channels: 12);
        var x = TestTensors.Batch(3, 24, 24);
        using var cam = new UnionCam(model, "features");
        using var r = cam.Explain(x, new[] { 0, 1, 2 });
        var betas = r.Intermediate("betas");
        var chosen = r.Intermediate("selected_union");
        var expectUnion = betas[.., 2].gt(betas[.., 1]).to_type(ScalarType.Float32);
        Assert.Equal(0f, TestTensors.MaxAbsDiff(chosen, expectUnion));
        for (int i = 0; i < 3; i++)
        {
            var source = chosen[i].item<float>() > 0.5f ? r.Intermediate("union")[i] : r.Intermediate("region")[i];
            Assert.Equal(0f, TestTensors.MaxAbsDiff(r.RawMaps[0][i], source));
        }
    }

    [Fact]
    public void DecomCamExposesOrthogonalComponents()
    {
        using var scope = NewDisposeScope();
        var model = new ConvGapLinear(channels: 16);
        var x = TestTensors.Batch(2, 48, 48);
        using var cam = new DecomCam(model, "features", new DecomCamOptions(Q: 4));
        using var r = cam.Explain(x, new[] { 0, 1 });
        Assert.Equal(new long[] { 2, 4, 48, 48 }, r.Intermediate("ossm").shape);
        Assert.Equal(new long[] { 2, 4 }, r.Intermediate("singular_values").shape);
        var s = r.Intermediate("singular_values");
        Assert.True((s[.., ..^1] - s[.., 1..]).min().item<float>() >= 0f); // descending
        var w = r.Intermediate("weights");
        Assert.True(w.min().item<float>() >= 0f && w.max().item<float>() <= 1f);

        // The OSSM basis is orthogonal: |<u_i,u_j>| < 1e-4 for the unit-length components of each image.
        var u = r.Intermediate("components").flatten(2);
        u = u / linalg.vector_norm(u, 2, new long[] { -1 }, keepdim: true);
        var gram = u.matmul(u.transpose(1, 2));
        var offDiagonal = gram - diag_embed(gram.diagonal(0, 1, 2));
        // Unit vectors from a float32 SVD: inner products are exact to ~1e-6; a non-orthogonal basis gives > 1e-2.
        Assert.True(offDiagonal.abs().max().item<float>() < 1e-4f);
        Assert.True(TestTensors.MaxAbsDiff(gram.diagonal(0, 1, 2), ones(2, 4)) < 1e-5f);
    }
}
