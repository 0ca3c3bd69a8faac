using DecomCamNet.Cam;
using DecomCamNet.Tests.Support;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Cam;

public class BatchedScoringTests
{
    [Fact]
    public void RowsOfEveryBatchLandInOrderWithoutGradientsAndProgressAfterEach()
    {
        using var scope = NewDisposeScope();
        var calls = new List<(long Start, long Length, bool Grad)>();
        var reports = new List<CamProgress>();
        long before = TestTensors.LiveTensors;
        var result = BatchedScoring.Run(7, 3, (start, length) =>
        {
            calls.Add((start, length, is_grad_enabled()));
            var item = arange(start, start + length, dtype: ScalarType.Float64);
            return stack(new[] { item, item * item }, 1); // [length,2]
        }, CancellationToken.None, new SyncProgress(reports.Add), "stage");
        Assert.Equal(new[] { (0L, 3L, false), (3L, 3L, false), (6L, 1L, false) }, calls);
        Assert.Equal(new[] { new CamProgress("stage", 3, 7), new CamProgress("stage", 6, 7), new CamProgress("stage", 7, 7) }, reports);
        Assert.Equal(new long[] { 7, 2 }, result.shape);
        Assert.Equal(ScalarType.Float64, result.dtype);
        Assert.Equal(new double[] { 0, 0, 1, 1, 2, 4, 3, 9, 4, 16, 5, 25, 6, 36 }, result.data<double>().ToArray());
        Assert.Equal(before + 1, TestTensors.LiveTensors); // the result alone: every batch's tensors are gone
        Assert.True(is_grad_enabled());
    }

    [Fact]
    public void CancellationBetweenBatchesLeavesNoTensorBehind()
    {
        using var scope = NewDisposeScope();
        using var cancel = new CancellationTokenSource();
        int calls = 0;
        long before = TestTensors.LiveTensors;
        Assert.Throws<OperationCanceledException>(() => BatchedScoring.Run(10, 4, (start, length) =>
        {
            calls++;
            return ones(length);
        }, cancel.Token, new SyncProgress(_ => cancel.Cancel()), "stage"));
        Assert.Equal(1, calls);
        Assert.Equal(before, TestTensors.LiveTensors);
    }

    [Fact]
    public void BadArgumentsAreNamed()
    {
        using var scope = NewDisposeScope();
        Assert.Equal("count", Assert.Throws<ArgumentOutOfRangeException>(() => BatchedScoring.Run(0, 3, (_, n) => ones(n), default)).ParamName);
        Assert.Equal("batchSize", Assert.Throws<ArgumentOutOfRangeException>(() => BatchedScoring.Run(5, 0, (_, n) => ones(n), default)).ParamName);
        long before = TestTensors.LiveTensors;
        var e = Assert.Throws<ArgumentException>(() => BatchedScoring.Run(5, 3, (start, n) => ones(start == 0 ? n : n - 1), default));
        Assert.Contains("one row per item, [2,...]; it returned [1]", e.Message);
        Assert.Equal(before, TestTensors.LiveTensors);
    }

    [Fact]
    public void BatchesOfVaryingLengthAreCappedAtTheItemsLeft()
    {
        using var scope = NewDisposeScope();
        var calls = new List<(long Start, long Length)>();
        var result = BatchedScoring.Run(10, start => start == 0 ? 2 : 5, (start, length) =>
        {
            calls.Add((start, length));
            return arange(start, start + length, dtype: ScalarType.Float64);
        }, CancellationToken.None);
        Assert.Equal(new[] { (0L, 2L), (2L, 5L), (7L, 3L) }, calls);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (double)i), result.data<double>().ToArray());
        Assert.Equal("nextLength", Assert.Throws<ArgumentOutOfRangeException>(() =>
            BatchedScoring.Run(5, start => start == 0 ? 2 : 0, (_, n) => ones(n), default)).ParamName);
    }
}
