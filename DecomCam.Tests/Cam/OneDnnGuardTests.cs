using DecomCamNet.Tests.Support;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;
using DecomCamNet.Native;

namespace DecomCamNet.Tests.Cam;

/// <summary>
/// Models with convolutions of input-channel counts that oneDNN gets wrong on CPUs without cache sizes
/// (<see cref="LibTorchBackends.OneDnnUnsafeFor"/>): there their convolutions are zero-padded to a multiple of 16 channels
/// per operation (<see cref="OneDnnSafeConvolution"/>), so their maps are right, oneDNN stays on for everything else and
/// concurrent calls do not wait for each other. Every test takes that path on any machine (<see cref="AssumedUnknownCaches"/>).
/// </summary>
[Collection(OneDnnSwitchCollection.Name)]
public sealed class OneDnnGuardTests
{
    /// <summary>conv 3→24 → ReLU → conv 24→56 → ReLU → conv 56→32 ("features") → ReLU → GAP → fc(32→5).</summary>
    private static nn.Module<Tensor, Tensor> OddChannels(long middle = 24, long wide = 56, long seed = 5)
    {
        manual_seed(seed);
        return nn.Sequential(
            ("stem", nn.Conv2d(3, middle, 3, padding: 1)), ("relu1", nn.ReLU()),
            ("wide", nn.Conv2d(middle, wide, 3, padding: 1)), ("relu2", nn.ReLU()),
            ("features", nn.Conv2d(wide, 32, 3, padding: 1)), ("relu3", nn.ReLU()),
            ("pool", nn.AdaptiveAvgPool2d(1)), ("flatten", nn.Flatten()), ("fc", nn.Linear(32, 5)));
    }

    /// <summary>A user module that convolves with a raw 4-D parameter of 24 input channels (no Conv2d module to route).</summary>
    private sealed class RawConvolution : nn.Module<Tensor, Tensor>
    {
        private readonly TorchSharp.Modules.Parameter weight = nn.Parameter(randn(8, 24, 3, 3));

        public RawConvolution() : base(nameof(RawConvolution)) => RegisterComponents();

        public override Tensor forward(Tensor x) => F.conv2d(x, weight);
    }

    /// <summary>What <paramref name="call"/> returns with oneDNN off by hand; the switch is restored after.</summary>
    private static T WithOneDnnOff<T>(Func<T> call)
    {
        using var off = LibTorchBackends.WithoutOneDnn();
        return call();
    }

    [Fact]
    public void ConvolutionsOfMoreThanSixteenChannelsNotAMultipleOfSixteenAreFlaggedAndRoutedWhereCachesAreUnknown()
    {
        using var caches = new AssumedUnknownCaches();
        using var odd = OddChannels();
        using var even = OddChannels(middle: 16, wide: 48);
        using var raw = new RawConvolution();
        Assert.True(LibTorchBackends.OneDnnUnsafeFor(odd));
        Assert.False(LibTorchBackends.NeedsOneDnnOff(odd));   // every flagged weight is a Conv2d's: routed
        Assert.False(LibTorchBackends.OneDnnUnsafeFor(even));
        Assert.True(LibTorchBackends.NeedsOneDnnOff(raw));    // nothing to route: oneDNN off for its calls
        Assert.Equal(new[] { "wide", "features" }, OneDnnConvolutionRoute.Routable(odd).Select(c => odd.named_modules().First(m => m.module == c).name));
        Assert.Null(LibTorchBackends.SafeForward(even));
    }

    [Theory]
    [InlineData(24L, 1L, 1L, 0L)]
    [InlineData(40L, 2L, 2L, 1L)]
    [InlineData(20L, 3L, 1L, 2L)]
    public void PaddedConvolutionsEqualThePlainOnes(long perGroup, long groups, long stride, long padding)
    {
        using var scope = NewDisposeScope();
        using var caches = new AssumedUnknownCaches();
        manual_seed(3);
        var x = randn(2, perGroup * groups, 9, 9);
        var w = randn(6 * groups, perGroup, 3, 3);
        var b = randn(6 * groups);
        Assert.True(OneDnnSafeConvolution.IsRouted(x, w));
        var routed = OneDnnSafeConvolution.Conv2d(x, w, b, new[] { stride, stride }, new[] { padding, padding }, new[] { 1L, 1L }, groups);
        var exact = F.conv2d(x.to(float64), w.to(float64), b.to(float64), new[] { stride, stride }, new[] { padding, padding }, new[] { 1L, 1L }, groups);
        Assert.Equal(exact.shape, routed.shape);
        // float32 sums of up to 40·9 products of unit normals: within 1e-4 of float64; a wrong grouping is off by units.
        Assert.True((routed.to(float64) - exact).abs().max().item<double>() < 1e-4);
        var same = OneDnnSafeConvolution.Conv2d(x, w, b, new[] { 1L, 1L }, TorchSharp.Padding.Same, new[] { 1L, 1L }, groups);
        var sameExact = F.conv2d(x.to(float64), w.to(float64), b.to(float64), new[] { 1L, 1L }, new[] { 1L, 1L }, new[] { 1L, 1L }, groups);
        Assert.True((same.to(float64) - sameExact).abs().max().item<double>() < 1e-4);
    }

    [Theory]
    [InlineData("gradcam")]
    [InlineData("scorecam")]
    public void MapsOfSuchAModelAreThoseWithOneDnnOffAndOneDnnStaysOnInTheForward(string method)
    {
        using var scope = NewDisposeScope();
        using var caches = new AssumedUnknownCaches();
        using var model = OddChannels();
        model.eval();
        var wide = model.named_modules().First(m => m.name == "wide").module;
        var features = model.named_modules().First(m => m.name == "features").module;
        var x = TestTensors.Batch(3, 20, 20, seed: 9);
        var oneDnnDuringForwards = new List<bool>();
        var stem = (nn.Module<Tensor, Tensor>)model.named_modules().First(m => m.name == "stem").module;
        var probe = stem.register_forward_hook((_, _, _) => { oneDnnDuringForwards.Add(LibTorchBackends.OneDnnEnabled); return null!; });
        bool before = LibTorchBackends.OneDnnEnabled;
        CamResult result;
        using (var cam = MethodFactory.Create(method, model, "features"))
        {
            Assert.Equal(1, TestTensors.ForwardHookCount(wide));     // the route
            Assert.Equal(2, TestTensors.ForwardHookCount(features)); // the route, then the recorder
            result = cam.Explain(x, 2);
        }
        probe.remove();
        Assert.Equal(0, TestTensors.ForwardHookCount(wide));
        Assert.Equal(0, TestTensors.ForwardHookCount(features));
        Assert.NotEmpty(oneDnnDuringForwards);
        Assert.All(oneDnnDuringForwards, on => Assert.Equal(before, on));
        using var fresh = MethodFactory.Create(method, model, "features");
        using (result)
        using (var expected = WithOneDnnOff(() => fresh.Explain(x, 2)))
        {
            // Float32 rounding of other kernels where oneDNN is right (1e-6); where it is wrong, scores move by tenths.
            Assert.True(TestTensors.MaxAbsDiff(expected.Scores, result.Scores) < 1e-4f * expected.Scores.abs().max().item<float>());
            Assert.True(TestTensors.MaxAbsDiff(expected.Maps, result.Maps) < 1e-3f);
        }
        Assert.Equal(before, LibTorchBackends.OneDnnEnabled);
    }

    /// <summary>
    /// Two threads explain flagged models at once: the first waits, inside its forward, for the second to finish a whole
    /// call (forward and backward). A process-wide lock held for a call would leave the second waiting for the first: the
    /// wait would time out.
    /// </summary>
    [Fact]
    public async Task ConcurrentExplanationsOfFlaggedModelsRunInParallel()
    {
        using var caches = new AssumedUnknownCaches();
        using var first = OddChannels();
        using var second = OddChannels(seed: 6);
        first.eval();
        second.eval();
        using var secondDone = new ManualResetEventSlim();
        bool sawSecondFinish = false;
        var stem = (nn.Module<Tensor, Tensor>)first.named_modules().First(m => m.name == "stem").module;
        var gate = stem.register_forward_hook((_, _, _) =>
        {
            if (!sawSecondFinish) sawSecondFinish = secondDone.Wait(TimeSpan.FromSeconds(60));
            return null!;
        });
        var a = Task.Run(() =>
        {
            using var scope = NewDisposeScope();
            using var cam = MethodFactory.Create("gradcam", first, "features");
            using var r = cam.Explain(TestTensors.Batch(2, 20, 20, seed: 1), 1);
            return r.Maps.shape;
        });
        var b = Task.Run(() =>
        {
            using var scope = NewDisposeScope();
            using var cam = MethodFactory.Create("gradcam", second, "features");
            using var r = cam.Explain(TestTensors.Batch(2, 20, 20, seed: 2), 1);
            secondDone.Set();
            return r.Maps.shape;
        });
        var shapes = await Task.WhenAll(a, b).WaitAsync(TimeSpan.FromSeconds(120));
        gate.remove();
        Assert.True(sawSecondFinish);
        Assert.All(shapes, shape => Assert.Equal(new long[] { 2, 20, 20 }, shape));
    }

    [Fact]
    public void MetricsScoreSuchAModelAsWithOneDnnOff()
    {
        using var scope = NewDisposeScope();
        using var caches = new AssumedUnknownCaches();
        using var model = OddChannels();
        model.eval();
        var x = TestTensors.Batch(3, 20, 20, seed: 9);
        var maps = TestTensors.Batch(3, 20, 20, seed: 10)[.., 0].sigmoid();
        using var result = DecomCamNet.Evaluation.Metrics.ConfidenceChange.Compute(model, x, maps);
        bool before = LibTorchBackends.OneDnnEnabled;
        using (var expected = WithOneDnnOff(() => DecomCamNet.Evaluation.Metrics.ConfidenceChange.Compute(model, x, maps)))
        {
            // Probabilities in [0,1]: float32 rounding where oneDNN is right; tenths of logits apart where it is wrong.
            Assert.True(TestTensors.MaxAbsDiff(expected.Original, result.Original) < 1e-5f);
            Assert.True(TestTensors.MaxAbsDiff(expected.Perturbed, result.Perturbed) < 1e-5f);
        }
        Assert.Equal(before, LibTorchBackends.OneDnnEnabled);
        Assert.All(model.modules(), m => Assert.Equal(0, TestTensors.ForwardHookCount(m)));
    }
}
