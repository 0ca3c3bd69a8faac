using DecomCamNet.Cam;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Cam;

/// <summary>
/// The tuner on a fake clock: each batch advances the time by a cost model (seconds per input by batch size, times a
/// factor for channels-last), so which candidate wins, what runs and what is cached are deterministic.
/// </summary>
public class MaskedForwardTunerTests
{
    private sealed class FakeWork(Func<long, bool, double> secondsPerInput)
    {
        private readonly ThreadLocal<double> _now = new(() => 0);

        public List<(long Start, long Length, bool ChannelsLast)> Batches { get; } = new();

        public int ClockReads { get; private set; }

        public double Clock()
        {
            ClockReads++;
            return _now.Value;
        }

        public Tensor Score(long start, long length, bool channelsLast)
        {
            lock (Batches) Batches.Add((start, length, channelsLast));
            _now.Value += length * secondsPerInput(length, channelsLast);
            return arange(start, start + length, dtype: ScalarType.Float64);
        }
    }

    // Contiguous: 4 -> 1.2, 8 -> 1.0, 10 -> 0.9, 16 -> 0.5, 32 -> 0.7 s per input; channels-last 0.8 times that.
    private static double Cost(long batch, bool channelsLast) =>
        (batch switch { 4 => 1.2, 8 => 1.0, 10 => 0.9, 16 => 0.5, 32 => 0.7, _ => 0.95 }) * (channelsLast ? 0.8 : 1.0);

    private static MaskedForwardRequest Request(object model, int? pinnedBatch = null, bool? pinnedLayout = null, bool safe = true,
        long[]? shape = null) =>
        new(model, shape ?? [3, 32, 32], CPU, ScalarType.Float32, DefaultBatchSize: 10, DefaultChannelsLast: false,
            pinnedBatch, pinnedLayout, safe, MaxBatchSize: 32);

    private static double[] Run(MaskedForwardTuner tuner, MaskedForwardRequest request, long count, FakeWork work)
    {
        using var scope = NewDisposeScope();
        return tuner.Run(request, count, work.Score, null, CancellationToken.None).data<double>().ToArray();
    }

    [Fact]
    public void TriesLayoutsThenBatchSizesOnTheCallsOwnBatchesAndKeepsTheFastest()
    {
        var work = new FakeWork(Cost);
        var tuner = new MaskedForwardTuner(work.Clock);
        var request = Request(new object());
        var scores = Run(tuner, request, 1000, work);
        Assert.Equal(Enumerable.Range(0, 1000).Select(i => (double)i), scores); // every item once, in order
        // Warm-up (untimed), both layouts at the default 10, then sizes in channels-last: 4, 8, 16, 32 (slower than 16: stop).
        Assert.Equal(new (long, bool)[] { (10, false), (10, false), (10, true), (4, true), (8, true), (16, true), (32, true) },
            work.Batches.Take(7).Select(b => (b.Length, b.ChannelsLast)));
        long rest = 1000 - 90;
        Assert.All(work.Batches.Skip(7).SkipLast(1), b => Assert.True(b.ChannelsLast && b.Length == MaskedForwards.Balanced(rest, 16), $"{b}"));
        var tuned = tuner.Tuned(request)!;
        Assert.Equal((16, true), (tuned.BatchSize, tuned.ChannelsLast));
        Assert.Equal(new[] { 0.9, 0.72, 0.96, 0.8, 0.4, 0.56 }, tuned.Trials.Select(t => Math.Round(t.SecondsPerInput, 6)));
        Assert.Equal(10 * 0.9 + 10 * 0.9 + 10 * 0.72 + 4 * 0.96 + 8 * 0.8 + 16 * 0.4 + 32 * 0.56, tuned.TuningSeconds, 9);
        Assert.Equal(tuned.TuningSeconds - 90 * 0.4, tuned.ExtraSeconds, 9);
        Assert.Equal(14, work.ClockReads); // only the seven tuning batches are timed
    }

    [Fact]
    public void StopsAtTheFirstLargerSizeThatIsSlower()
    {
        var work = new FakeWork((batch, cl) => batch == 8 ? 0.5 : 1.0);
        var tuner = new MaskedForwardTuner(work.Clock);
        var request = Request(new object(), pinnedLayout: false);
        Run(tuner, request, 1000, work);
        // Warm-up 10, then 4 (1.0), 8 (0.5), 10 (1.0, larger and slower: stop before 16 and 32).
        Assert.Equal(new long[] { 10, 4, 8, 10 }, work.Batches.Take(4).Select(b => b.Length));
        Assert.Equal(new[] { 4, 8, 10 }, tuner.Tuned(request)!.Trials.Select(t => t.BatchSize));
        Assert.All(work.Batches.Skip(4).SkipLast(1), b => Assert.Equal(8, b.Length));
    }

    [Fact]
    public void AnExplicitBatchSizeOrLayoutIsNeverVaried()
    {
        var work = new FakeWork(Cost);
        var tuner = new MaskedForwardTuner(work.Clock);
        var pinnedBatch = Request(new object(), pinnedBatch: 12);
        Run(tuner, pinnedBatch, 1000, work);
        Assert.All(work.Batches.SkipLast(1), b => Assert.Equal(12, b.Length));
        Assert.Equal(new[] { false, true }, tuner.Tuned(pinnedBatch)!.Trials.Select(t => t.ChannelsLast));

        var contiguous = new FakeWork(Cost);
        tuner = new MaskedForwardTuner(contiguous.Clock);
        var pinnedLayout = Request(new object(), pinnedLayout: false);
        Run(tuner, pinnedLayout, 1000, contiguous);
        Assert.DoesNotContain(contiguous.Batches, b => b.ChannelsLast);
        Assert.Equal((16, false), (tuner.Tuned(pinnedLayout)!.BatchSize, tuner.Tuned(pinnedLayout)!.ChannelsLast));

        var both = new FakeWork(Cost);
        tuner = new MaskedForwardTuner(both.Clock);
        Run(tuner, Request(new object(), pinnedBatch: 12, pinnedLayout: true), 1000, both);
        Assert.Equal(0, both.ClockReads); // nothing to choose: nothing timed
        Assert.All(both.Batches.SkipLast(1), b => Assert.True(b.Length == 12 && b.ChannelsLast));
    }

    [Fact]
    public void NeverTriesChannelsLastWhereItIsUnsafe()
    {
        var work = new FakeWork(Cost);
        var tuner = new MaskedForwardTuner(work.Clock);
        var request = Request(new object(), safe: false);
        Run(tuner, request, 1000, work);
        Assert.DoesNotContain(work.Batches, b => b.ChannelsLast);
        Assert.Equal((16, false), (tuner.Tuned(request)!.BatchSize, tuner.Tuned(request)!.ChannelsLast));
    }

    [Theory]
    [InlineData(100)]
    [InlineData(400)]
    [InlineData(1000)]
    [InlineData(30)]
    public void TuningBatchesStayWithinTheBudgetAndAnIncompleteTuningIsNotKept(long count)
    {
        var work = new FakeWork(Cost);
        var tuner = new MaskedForwardTuner(work.Clock);
        var request = Request(new object());
        var scores = Run(tuner, request, count, work);
        Assert.Equal(Enumerable.Range(0, (int)count).Select(i => (double)i), scores);
        long tuningInputs = work.Batches.Take(work.ClockReads / 2).Sum(b => b.Length); // the timed batches come first
        Assert.True(tuningInputs <= count * MaskedForwardTuner.DefaultBudgetFraction, $"{tuningInputs} of {count}");
        // 100: warm-up and the contiguous trial (20 of 25); the channels-last trial does not fit: not kept, no channels-last.
        // 30: too few to tune at all. 400 and 1000: every candidate fits (90 inputs) or is ruled out.
        Assert.Equal(count >= 400, tuner.Tuned(request) is not null);
        if (count == 100) Assert.Equal(20, tuningInputs);
        if (count == 30) Assert.Equal(0, work.ClockReads);
    }

    [Fact]
    public void CachesPerModelShapeAndPinnedDimensionsAndReusesWithoutTiming()
    {
        var work = new FakeWork(Cost);
        var tuner = new MaskedForwardTuner(work.Clock);
        var model = new object();
        Run(tuner, Request(model), 1000, work);
        int reads = work.ClockReads;
        work.Batches.Clear();
        Run(tuner, Request(model), 100, work);
        Assert.Equal(reads, work.ClockReads); // cached: nothing timed
        Assert.All(work.Batches.SkipLast(1), b => Assert.True(b.ChannelsLast && b.Length == MaskedForwards.Balanced(100, 16), $"{b}"));
        Run(tuner, Request(model, shape: [3, 64, 64]), 1000, work);
        Assert.True(work.ClockReads > reads);
        Assert.Null(tuner.Tuned(Request(new object())));
        Assert.Null(tuner.Tuned(Request(model, pinnedLayout: false)));
    }

    [Fact]
    public void TwoThreadsTuningOneKeyBothGetCorrectScoresAndOneChoiceIsKept()
    {
        var work = new FakeWork(Cost);
        var tuner = new MaskedForwardTuner(work.Clock);
        var request = Request(new object());
        using var barrier = new Barrier(2);
        var results = new double[2][];
        var threads = Enumerable.Range(0, 2).Select(i => new Thread(() =>
        {
            barrier.SignalAndWait();
            results[i] = Run(tuner, request, 1000, work);
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.All(results, r => Assert.Equal(Enumerable.Range(0, 1000).Select(i => (double)i), r));
        Assert.Equal((16, true), (tuner.Tuned(request)!.BatchSize, tuner.Tuned(request)!.ChannelsLast));
    }

    [Fact]
    public void OffRunsTheDefaultSettingAndTimesNothing()
    {
        var work = new FakeWork(Cost);
        var tuner = new MaskedForwardTuner(work.Clock);
        var request = Request(new object()) with { Tune = false };
        Run(tuner, request, 1000, work);
        Assert.Equal(0, work.ClockReads);
        Assert.All(work.Batches, b => Assert.True(!b.ChannelsLast && b.Length == 10, $"{b}"));
        Assert.Null(tuner.Tuned(request));
    }

    [Fact]
    public void CallsTooSmallToTuneWithinTuneAcrossCallsOneCandidatePerCall()
    {
        // Batches of 5 are the fastest per input; channels-last 0.8 times contiguous.
        var work = new FakeWork((batch, channelsLast) => (batch == 5 ? 0.5 : 1.0) * (channelsLast ? 0.8 : 1.0));
        int switches = 0;
        var tuner = new MaskedForwardTuner(work.Clock, settingChanged: () => switches++);
        var request = Request(new object());
        var calls = new List<List<(long Start, long Length, bool ChannelsLast)>>();
        for (int call = 0; call < 20; call++)
        {
            work.Batches.Clear();
            Assert.Equal(Enumerable.Range(0, 10).Select(i => (double)i), Run(tuner, request, 10, work));
            calls.Add(work.Batches.ToList());
            Assert.Equal(call >= 18, tuner.Tuned(request) is not null); // kept once the sixth candidate's third round has run
        }
        // Call 1: the default, untimed (warm-up). Calls 2-19: each layout with the distinct splits of 10 (at most 10,
        // 8 -> 5+5, 4 -> 4+4+2), largest first, three calls in a row each. Call 20: the kept setting, untimed.
        (int, bool)[] candidates = [(10, false), (5, false), (4, false), (10, true), (5, true), (4, true)];
        (int, bool)[] settings = [(10, false), .. candidates.SelectMany(c => Enumerable.Repeat(c, 3)), (5, true)];
        for (int call = 0; call < 20; call++)
            Assert.All(calls[call], b => Assert.True(b.Length <= settings[call].Item1 && b.ChannelsLast == settings[call].Item2, $"call {call}: {b}"));
        Assert.Equal(new long[] { 4, 4, 2 }, calls[7].Select(b => b.Length));
        // The heap is trimmed at each move to another setting: five between the candidates, one to the kept setting.
        Assert.Equal(6, switches);
        var tuned = tuner.Tuned(request)!;
        Assert.Equal((8, true), (tuned.BatchSize, tuned.ChannelsLast));
        Assert.Equal(new[] { 1.0, 0.5, 1.0, 0.8, 0.4, 0.8 }, tuned.Trials.Select(t => Math.Round(t.SecondsPerInput, 6)));
        Assert.Equal(3 * 10 * (1.0 + 0.5 + 1.0 + 0.8 + 0.4 + 0.8), tuned.TuningSeconds, 9);
        Assert.Equal(3 * 10 * (0.6 + 0.1 + 0.6 + 0.4 + 0 + 0.4), tuned.ExtraSeconds, 9);
        Assert.Equal(36, work.ClockReads); // the eighteen trial calls, two reads each
    }

    [Fact]
    public void AcrossCallsAPinnedLayoutIsNeverVariedAndOffTimesNothing()
    {
        var work = new FakeWork(Cost);
        var tuner = new MaskedForwardTuner(work.Clock);
        var pinned = Request(new object(), pinnedLayout: true);
        for (int call = 0; call < 12; call++) Run(tuner, pinned, 10, work);
        Assert.All(work.Batches, b => Assert.True(b.ChannelsLast, $"{b}"));
        Assert.NotNull(tuner.Tuned(pinned)); // warm-up, then three rounds of 10, 8 -> 5+5 and 4 -> 4+4+2 in channels-last
        Assert.Equal(3, tuner.Tuned(pinned)!.Trials.Count);
        work.Batches.Clear();
        int reads = work.ClockReads;
        var off = Request(new object()) with { Tune = false };
        for (int call = 0; call < 5; call++) Run(tuner, off, 10, work);
        Assert.Equal(reads, work.ClockReads);
        Assert.All(work.Batches, b => Assert.True(!b.ChannelsLast && b.Length == 10, $"{b}"));
    }

    [Theory]
    [InlineData(0.97, false)] // 3% faster: within the noise, the default stays
    [InlineData(0.93, true)] // 7% faster: taken
    public void AcrossCallsTheDefaultIsOnlyLeftForAClearGain(double channelsLastFactor, bool taken)
    {
        var work = new FakeWork((batch, channelsLast) => (batch == 10 ? 1.0 : 1.5) * (channelsLast ? channelsLastFactor : 1.0));
        var tuner = new MaskedForwardTuner(work.Clock);
        var request = Request(new object());
        for (int call = 0; call < 20; call++) Run(tuner, request, 10, work);
        var tuned = tuner.Tuned(request)!;
        Assert.Equal(channelsLastFactor, tuned.Trials.Min(t => t.SecondsPerInput), 9);
        Assert.Equal((10, taken), (tuned.BatchSize, tuned.ChannelsLast));
    }

    [Fact]
    public void AcrossCallsOneSlowRoundDoesNotDecide()
    {
        // Channels-last batches of 5 are 20% faster, but their first timed call is slowed 3x (a busy machine); the
        // median of three rounds still picks them, and the default's one slow round does not make it look worse.
        int fiveChannelsLastCalls = 0, defaultCalls = 0;
        var work = new FakeWork((batch, channelsLast) => (batch, channelsLast) switch
        {
            (5, true) => 0.8 * (++fiveChannelsLastCalls == 1 ? 3 : 1),
            (10, false) => ++defaultCalls == 3 ? 0.1 : 1.0,
            _ => 1.2,
        });
        var tuner = new MaskedForwardTuner(work.Clock);
        var request = Request(new object());
        for (int call = 0; call < 20; call++) Run(tuner, request, 10, work);
        var tuned = tuner.Tuned(request)!;
        Assert.Equal((8, true), (tuned.BatchSize, tuned.ChannelsLast));
        Assert.Equal(1.0, tuned.Trials.First(t => t.BatchSize == 10 && !t.ChannelsLast).SecondsPerInput, 9);
    }
}
