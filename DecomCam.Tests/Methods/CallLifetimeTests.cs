using DecomCamNet.Tests.Support;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Methods;

/// <summary>
/// Nothing a call creates outlives it: after the result is disposed, the thread's live-tensor count is back where it
/// was, over many calls, with and without an enclosing dispose scope, and when the call throws half-way. No GC runs:
/// a tensor left to the finalizer is still counted as alive here (the finalizer thread's disposal counts there).
/// </summary>
public class CallLifetimeTests
{
    private const int Calls = 20;

    public static TheoryData<string> Methods => MethodFactory.All();

    /// <summary>A small model, a seeded input of some images and the method, disposed together.</summary>
    private sealed class Setup : IDisposable
    {
        public Setup(string method, long rows, int batchSize = 5)
        {
            Model = new ConvGapLinear(channels: 12);
            X = TestTensors.Batch(rows, 40, 40);
            Cam = MethodFactory.Create(method, Model, "features", batchSize);
        }

        public ConvGapLinear Model { get; }
        public Tensor X { get; }
        public ICamMethod Cam { get; }

        public void Dispose()
        {
            Cam.Dispose();
            X.Dispose();
            Model.Dispose();
        }
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void ManyCallsLeaveNoTensorWithoutAnOuterScope(string method)
    {
        using var s = new Setup(method, 2);
        var (cam, x) = (s.Cam, s.X);
        cam.Explain(x, new[] { 1, 3 }).Dispose();
        long before = TestTensors.LiveTensors;
        for (int i = 0; i < Calls; i++)
        {
            using var r = cam.Explain(x, new[] { 1, 3 });
            Assert.Equal(new long[] { 2, 40, 40 }, r.Maps.shape);
        }
        Assert.Equal(before, TestTensors.LiveTensors);
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void ManyCallsLeaveNoTensorInsideAnOuterScope(string method)
    {
        using var s = new Setup(method, 2);
        var (cam, x) = (s.Cam, s.X);
        long outside = TestTensors.LiveTensors;
        using (var scope = NewDisposeScope())
        {
            cam.Explain(x, CamTarget.TopClass).Dispose();
            long before = TestTensors.LiveTensors;
            for (int i = 0; i < Calls; i++) cam.Explain(x, CamTarget.TopClass).Dispose();
            Assert.Equal(before, TestTensors.LiveTensors);
            Assert.Equal(0, scope.DisposablesCount);
        }
        Assert.Equal(outside, TestTensors.LiveTensors);
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void AnExceptionAfterTheForwardPassLeavesNoTensor(string method)
    {
        using var s = new Setup(method, 1);
        var (cam, x) = (s.Cam, s.X);
        var failing = CamTarget.Custom(_ => throw new InvalidOperationException("target failed"));
        cam.Explain(x, 1).Dispose();
        long before = TestTensors.LiveTensors;
        int hooks = TestTensors.ForwardHookCountInModel(s.Model);
        for (int i = 0; i < 3; i++)
            Assert.Throws<InvalidOperationException>(() => cam.Explain(x, failing));
        Assert.Equal(before, TestTensors.LiveTensors);
        Assert.Equal(hooks, TestTensors.ForwardHookCountInModel(s.Model));
        Assert.Equal(method == "fullgrad" ? 0 : 1, TestTensors.ForwardHookCount(s.Model.features)); // FullGrad hooks features.conv
    }

    [Theory]
    [InlineData("scorecam")]
    [InlineData("unioncam")]
    [InlineData("decomcam")]
    [InlineData("ablationcam")]
    [InlineData("sscam")]
    [InlineData("iscam")]
    [InlineData("smoothgradcam++")]
    public void CancellingBetweenMaskedBatchesLeavesNoTensor(string method)
    {
        using var s = new Setup(method, 1, batchSize: 2);
        var (cam, x) = (s.Cam, s.X);
        cam.Explain(x, 1).Dispose();
        long before = TestTensors.LiveTensors;
        using var cts = new CancellationTokenSource();
        var cancelAfterFirstBatch = new SyncProgress(_ => cts.Cancel());
        Assert.Throws<OperationCanceledException>(() => cam.Explain(x, 1, cancelAfterFirstBatch, cts.Token));
        Assert.Equal(before, TestTensors.LiveTensors);
        Assert.Equal(1, TestTensors.ForwardHookCountInModel(s.Model)); // an ablation's output override is gone too
    }
}
