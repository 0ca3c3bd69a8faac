namespace DecomCamNet.Cam;

/// <summary>
/// Tuning across calls, for calls with too few masked inputs to tune within one (DecomCAM's Q blends of one image): each
/// call runs all of its inputs in one setting and is timed as a whole. The first call for a model and shape runs the
/// default setting untimed (warm-up); the following calls try each candidate in turn, every layout with every batch size
/// that splits the call differently (<see cref="MaskedForwards.Balanced"/> of the candidate sizes and the default); once
/// all have run, the fastest per input is the outcome, kept by <see cref="MaskedForwardTuner"/> like an in-call tuning,
/// unless it is less than <see cref="RequiredGain"/> faster than the default setting's trial: one timed call per
/// candidate is noisy, so the default is only left for a clear gain.
/// A call that finds every remaining candidate taken by calls still running on other threads runs the default untimed.
/// Thread-safe.
/// </summary>
internal sealed class MaskedForwardCallTrials
{
    /// <summary>How much faster per input a candidate must be than the default setting to replace it: 10%.</summary>
    public const double RequiredGain = 0.1;

    private readonly int _defaultBatch;
    private readonly bool _defaultChannelsLast;
    private readonly Queue<(int BatchSize, bool ChannelsLast)> _pending;
    private readonly List<MaskedForwardTrial> _trials = [];
    private readonly List<long> _inputs = [];
    private bool _warmedUp;
    private int _running;
    private double _seconds;

    private readonly long _count;

    private MaskedForwardCallTrials(long count, int defaultBatch, bool defaultChannelsLast, IEnumerable<(int, bool)> candidates)
    {
        (_count, _defaultBatch, _defaultChannelsLast) = (count, defaultBatch, defaultChannelsLast);
        _pending = new(candidates);
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

    /// <summary>The setting the next call runs in, and whether it is timed (a trial).</summary>
    public (int BatchSize, bool ChannelsLast, bool Timed) Next()
    {
        lock (_pending)
        {
            if (!_warmedUp)
            {
                _warmedUp = true;
                return (_defaultBatch, _defaultChannelsLast, false);
            }
            if (!_pending.TryDequeue(out var candidate)) return (_defaultBatch, _defaultChannelsLast, false);
            _running++;
            return (candidate.BatchSize, candidate.ChannelsLast, true);
        }
    }

    /// <summary>Records a timed call; returns the outcome once every candidate has been timed (once), else null.</summary>
    public MaskedForwardTuning? Record(int batchSize, bool channelsLast, long inputs, double seconds)
    {
        lock (_pending)
        {
            _running--;
            _seconds += seconds;
            _trials.Add(new MaskedForwardTrial(batchSize, channelsLast, seconds / inputs));
            _inputs.Add(inputs);
            if (_pending.Count > 0 || _running > 0) return null;
            var best = _trials.MinBy(t => t.SecondsPerInput)!;
            if (_trials.FirstOrDefault(IsDefault) is { } fallback && best.SecondsPerInput > (1 - RequiredGain) * fallback.SecondsPerInput)
                best = fallback;
            double extra = _trials.Select((t, i) => (t.SecondsPerInput - best.SecondsPerInput) * _inputs[i]).Sum();
            return new MaskedForwardTuning(best.BatchSize, best.ChannelsLast, _trials.ToList(), _seconds, Math.Max(0, extra));
        }
    }
}
