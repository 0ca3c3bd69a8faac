namespace DecomCamNet.Cam;

/// <summary>
/// Tuning across calls, for calls with too few masked inputs to tune within one (DecomCAM's Q blends of one image): each
/// call runs all of its inputs in one setting and is timed as a whole. The first call for a model and shape runs the
/// default setting untimed (warm-up); the following calls try each candidate in turn, every layout with every batch size
/// that splits the call differently (<see cref="MaskedForwards.Balanced"/> of the candidate sizes and the default), each
/// for <see cref="Rounds"/> consecutive calls; once all have run, the fastest median per input is the outcome, kept by
/// <see cref="MaskedForwardTuner"/> like an in-call tuning, unless it is less than <see cref="RequiredGain"/> faster than
/// the default setting's median: the default is only left for a clear gain. <see cref="Next"/> says when a call's
/// setting differs from the previous call's, where the tuner gives freed heap memory back (the first call of a setting
/// then starts on a fresh heap; the median of its rounds is a warm one).
/// A call that finds every remaining candidate taken by calls still running on other threads runs the default untimed.
/// Thread-safe.
/// </summary>
internal sealed class MaskedForwardCallTrials
{
    /// <summary>How much faster per input a candidate's median must be than the default setting's to replace it: 5%.</summary>
    public const double RequiredGain = 0.05;

    /// <summary>How many timed calls in a row each candidate gets (one call is noisy, and the first after a change of setting
    /// is cold; the median of three is not thrown by one slow call).</summary>
    public const int Rounds = 3;

    private readonly int _defaultBatch;
    private readonly bool _defaultChannelsLast;
    private readonly Queue<(int BatchSize, bool ChannelsLast)> _pending;
    private readonly List<(MaskedForwardTrial Trial, long Inputs)> _timed = [];
    private bool _warmedUp;
    private (int BatchSize, bool ChannelsLast)? _last;
    private int _running;
    private double _seconds;

    private readonly long _count;

    private MaskedForwardCallTrials(long count, int defaultBatch, bool defaultChannelsLast, IEnumerable<(int, bool)> candidates)
    {
        (_count, _defaultBatch, _defaultChannelsLast) = (count, defaultBatch, defaultChannelsLast);
        _pending = new(candidates.SelectMany(candidate => Enumerable.Repeat(candidate, Rounds)));
    }

    private bool IsDefault(MaskedForwardTrial trial) => trial.ChannelsLast == _defaultChannelsLast &&
        MaskedForwards.Balanced(_count, trial.BatchSize) == MaskedForwards.Balanced(_count, _defaultBatch);

    /// <summary>The candidates for calls of <paramref name="count"/> inputs: the request's layouts (default first) times
    /// the candidate batch sizes that give distinct splits of <paramref name="count"/>, smallest last.</summary>
    public static MaskedForwardCallTrials Plan(MaskedForwardRequest request, long count, IReadOnlyList<bool> layouts, IReadOnlyList<int> sizes)
    {
        int defaultBatch = request.PinnedBatchSize ?? request.DefaultBatchSize;
        var splits = sizes.GroupBy(s => MaskedForwards.Balanced(count, s)).Select(g => g.Min()).OrderDescending().ToList();
        return new MaskedForwardCallTrials(count, defaultBatch, request.PinnedChannelsLast ?? request.DefaultChannelsLast,
            layouts.SelectMany(l => splits.Select(s => (s, l))));
    }

    /// <summary>Whether candidates are left to run or still running.</summary>
    public bool Unsettled
    {
        get
        {
            lock (_pending) return _pending.Count > 0 || _running > 0;
        }
    }

    /// <summary>The setting the next call runs in, whether it is timed (a trial), and whether it differs from the setting
    /// of the call before (false for the first call).</summary>
    public (int BatchSize, bool ChannelsLast, bool Timed, bool Changed) Next()
    {
        lock (_pending)
        {
            bool timed = _warmedUp && _pending.Count > 0;
            _warmedUp = true;
            (int BatchSize, bool ChannelsLast) setting = timed ? _pending.Dequeue() : (_defaultBatch, _defaultChannelsLast);
            if (timed) _running++;
            bool changed = _last is { } last && last != setting;
            _last = setting;
            return (setting.BatchSize, setting.ChannelsLast, timed, changed);
        }
    }

    /// <summary>Records a timed call; returns the outcome once every candidate has had its rounds, else null. The outcome's
    /// trials are the candidates' medians per input, in the order they first ran.</summary>
    public MaskedForwardTuning? Record(int batchSize, bool channelsLast, long inputs, double seconds)
    {
        lock (_pending)
        {
            _running--;
            _seconds += seconds;
            _timed.Add((new MaskedForwardTrial(batchSize, channelsLast, seconds / inputs), inputs));
            if (_pending.Count > 0 || _running > 0) return null;
            var medians = _timed.GroupBy(t => (t.Trial.BatchSize, t.Trial.ChannelsLast))
                .Select(g => new MaskedForwardTrial(g.Key.BatchSize, g.Key.ChannelsLast, Median(g.Select(t => t.Trial.SecondsPerInput))))
                .ToList();
            var best = medians.MinBy(t => t.SecondsPerInput)!;
            if (medians.FirstOrDefault(IsDefault) is { } fallback && best.SecondsPerInput > (1 - RequiredGain) * fallback.SecondsPerInput)
                best = fallback;
            double extra = _timed.Sum(t => (t.Trial.SecondsPerInput - best.SecondsPerInput) * t.Inputs);
            return new MaskedForwardTuning(best.BatchSize, best.ChannelsLast, medians, _seconds, Math.Max(0, extra));
        }
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
