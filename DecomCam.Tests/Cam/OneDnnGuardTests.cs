using DecomCamNet.Tests.Support;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Cam;

/// <summary>
/// Models with convolutions of input-channel counts that oneDNN gets wrong on CPUs without cache sizes
/// (<see cref="LibTorchBackends.OneDnnUnsafeFor"/>): their calls run with oneDNN off there, so their maps are right.
/// </summary>
[Collection(OneDnnSwitchCollection.Name)]
public sealed class OneDnnGuardTests
{
    /// <summary>conv 3→24 → ReLU → conv 24→56 → ReLU → conv 56→32 ("features") → ReLU → GAP → fc(32→5).</summary>
    private static nn.Module<Tensor, Tensor> OddChannels(long middle = 24, long wide = 56)
    {
        manual_seed(5);
        return nn.Sequential(
            ("stem", nn.Conv2d(3, middle, 3, padding: 1)), ("relu1", nn.ReLU()),
            ("wide", nn.Conv2d(middle, wide, 3, padding: 1)), ("relu2", nn.ReLU()),
            ("features", nn.Conv2d(wide, 32, 3, padding: 1)), ("relu3", nn.ReLU()),
            ("pool", nn.AdaptiveAvgPool2d(1)), ("flatten", nn.Flatten()), ("fc", nn.Linear(32, 5)));
    }

    /// <summary>What <paramref name="call"/> returns with oneDNN off by hand; the switch is restored after.</summary>
    private static T WithOneDnnOff<T>(Func<T> call)
    {
        bool before = LibTorchBackends.OneDnnEnabled;
        try
        {
            LibTorchBackends.OneDnnEnabled = false;
            return call();
        }
        finally
        {
            LibTorchBackends.OneDnnEnabled = before;
        }
    }

    [Fact]
    public void ConvolutionsOfMoreThanSixteenChannelsNotAMultipleOfSixteenAreFlaggedWhereCachesAreUnknown()
    {
        using var odd = OddChannels();
        using var even = OddChannels(middle: 16, wide: 48);
        Assert.Equal(LibTorchBackends.CpuCachesUnknown, LibTorchBackends.OneDnnUnsafeFor(odd));
        Assert.False(LibTorchBackends.OneDnnUnsafeFor(even));
    }

    [Theory]
    [InlineData("gradcam")]
    [InlineData("scorecam")]
    public void MapsOfSuchAModelAreThoseWithOneDnnOff(string method)
    {
        using var scope = NewDisposeScope();
        using var model = OddChannels();
        model.eval();
        var x = TestTensors.Batch(3, 20, 20, seed: 9);
        using var cam = MethodFactory.Create(method, model, "features");
        using var result = cam.Explain(x, 2);
        bool before = LibTorchBackends.OneDnnEnabled;
        using (var expected = WithOneDnnOff(() => cam.Explain(x, 2)))
        {
            // Float32 rounding of other kernels where oneDNN is right (1e-6); where it is wrong, scores move by tenths.
            Assert.True(TestTensors.MaxAbsDiff(expected.Scores, result.Scores) < 1e-4f * expected.Scores.abs().max().item<float>());
            Assert.True(TestTensors.MaxAbsDiff(expected.Maps, result.Maps) < 1e-3f);
        }
        Assert.Equal(before, LibTorchBackends.OneDnnEnabled);
    }

    [Fact]
    public void MetricsScoreSuchAModelWithOneDnnOff()
    {
        using var scope = NewDisposeScope();
        using var model = OddChannels();
        model.eval();
        var x = TestTensors.Batch(3, 20, 20, seed: 9);
        var maps = TestTensors.Batch(3, 20, 20, seed: 10)[.., 0].sigmoid();
        using var result = DecomCamNet.Evaluation.ConfidenceChange.Compute(model, x, maps);
        bool before = LibTorchBackends.OneDnnEnabled;
        using (var expected = WithOneDnnOff(() => DecomCamNet.Evaluation.ConfidenceChange.Compute(model, x, maps)))
        {
            // Probabilities in [0,1]: float32 rounding where oneDNN is right; tenths of logits apart where it is wrong.
            Assert.True(TestTensors.MaxAbsDiff(expected.Original, result.Original) < 1e-5f);
            Assert.True(TestTensors.MaxAbsDiff(expected.Perturbed, result.Perturbed) < 1e-5f);
        }
        Assert.Equal(before, LibTorchBackends.OneDnnEnabled);
    }
}
