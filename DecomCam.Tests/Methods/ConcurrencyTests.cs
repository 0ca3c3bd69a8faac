using DecomCamNet.Tests.Support;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Methods;

/// <summary>Two threads, each with its own model and method, get the maps that the same calls give one after the other.</summary>
public class ConcurrencyTests
{
    [Theory]
    [InlineData("gradcam", "decomcam")]
    [InlineData("scorecam", "unioncam")]
    [InlineData("decomcam", "eigencam")]
    public void TwoThreadsGiveTheSequentialMaps(string first, string second)
    {
        // Models and inputs are made here, before any thread starts: torch's default generator is process-wide.
        using var model1 = new ConvGapLinear(channels: 16, seed: 3);
        using var model2 = new ConvGapLinear(channels: 24, seed: 4);
        using var x1 = TestTensors.Batch(2, 48, 48, seed: 11);
        using var x2 = TestTensors.Batch(2, 56, 40, seed: 12);
        using var sequential1 = Explain(first, model1, x1);
        using var sequential2 = Explain(second, model2, x2);

        Tensor? concurrent1 = null, concurrent2 = null;
        var t1 = new Thread(() => concurrent1 = Repeat(first, model1, x1));
        var t2 = new Thread(() => concurrent2 = Repeat(second, model2, x2));
        t1.Start();
        t2.Start();
        t1.Join();
        t2.Join();

        // Same kernels on the same shapes: libtorch's CPU results do not depend on which thread runs them. The margin
        // allows for one thing only: where the CPU reports no cache sizes, one thread's backward pass switches oneDNN
        // off process-wide (LibTorchBackends.SafeBackward) and the other's forwards then round differently (~2e-6 on
        // scores); DecomCAM's weights divide by the largest score and move its maps by up to ~2e-5, as with batch sizes.
        // A map computed on the other thread's model or input differs by > 0.1.
        Assert.NotNull(concurrent1);
        Assert.NotNull(concurrent2);
        Assert.True(TestTensors.MaxAbsDiff(sequential1, concurrent1!) < 1e-4f, $"{first}: {TestTensors.MaxAbsDiff(sequential1, concurrent1!)}");
        Assert.True(TestTensors.MaxAbsDiff(sequential2, concurrent2!) < 1e-4f, $"{second}: {TestTensors.MaxAbsDiff(sequential2, concurrent2!)}");
        concurrent1!.Dispose();
        concurrent2!.Dispose();
    }

    private static Tensor Explain(string method, ConvGapLinear model, Tensor x)
    {
        using var cam = MethodFactory.Create(method, model, "features", batchSize: 4);
        using var r = cam.Explain(x, new[] { 0, 2 });
        return r.Maps.clone();
    }

    private static Tensor Repeat(string method, ConvGapLinear model, Tensor x)
    {
        for (int i = 0; i < 4; i++) Explain(method, model, x).Dispose();
        return Explain(method, model, x);
    }
}
