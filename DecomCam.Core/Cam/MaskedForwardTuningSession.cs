using static TorchSharp.torch;

namespace DecomCamNet.Cam;

/// <summary>
/// One call's tuning, driven batch by batch by <see cref="BatchedScoring"/>: an untimed warm-up batch in the default
/// setting, then one timed batch per candidate layout (at the default batch size), then one per candidate batch size in
/// the faster layout, smallest first, stopping early at the first size larger than the best one that is slower per
/// input; the rest of the call runs in the fastest setting. Every tuning batch is real work of the call, and all of them
/// together stay within the budget (a fraction of the call's inputs); a candidate that does not fit is left out and the
/// tuning counts as incomplete (not cached).
/// </summary>
internal sealed class MaskedForwardTuningSession
{
    private readonly record struct Step(int BatchSize, bool ChannelsLast, bool Tuning, bool Timed);

    private readonly MaskedForwardRequest _request;
    private readonly Func<double> _clock;
    private readonly long _count;
    private readonly long _budget;
    private readonly int _defaultBatch;
    private readonly bool _defaultChannelsLast;
    private readonly IReadOnlyList<bool> _layouts;
    private readonly IReadOnlyList<int> _sizes;
    private readonly IEnumerator<Step> _plan;
    private readonly List<MaskedForwardTrial> _trials = [];
    private Step _current;
    private Step? _final;
    private long _spent;
    private long _tuningInputs;
    private double _tuningSeconds;

    private MaskedForwardTuningSession(MaskedForwardRequest request, long count, long budget, Func<double> clock,
        IReadOnlyList<bool> layouts, IReadOnlyList<int> sizes)
    {
        _request = request;
        _count = count;
        _budget = budget;
        _clock = clock;
        _defaultBatch = request.PinnedBatchSize ?? request.DefaultBatchSize;
        _defaultChannelsLast = request.PinnedChannelsLast ?? request.DefaultChannelsLast;
        _layouts = layouts;
        _sizes = sizes;
        _plan = Steps().GetEnumerator();
    }

    /// <summary>Whether the call has inputs enough, within the budget, for a warm-up batch and a first trial; when it has
    /// not, <see cref="MaskedForwardCallTrials"/> tunes across calls instead.</summary>
    public bool TunesWithinCall => _budget >= _defaultBatch + (_layouts.Count > 1 ? _defaultBatch : _sizes[0]);

    /// <summary>The layouts that may be tried, the default first.</summary>
    public IReadOnlyList<bool> Layouts => _layouts;

    /// <summary>The batch sizes that may be tried, smallest first.</summary>
    public IReadOnlyList<int> Sizes => _sizes;

    /// <summary>Whether every candidate ran or was ruled out by an early stop (only then is the choice cached).</summary>
    public bool Complete { get; private set; }

    /// <summary>A session for <paramref name="count"/> inputs, or null when there is nothing to choose between.</summary>
    public static MaskedForwardTuningSession? Start(MaskedForwardRequest request, long count, double budgetFraction, Func<double> clock)
    {
        bool defaultChannelsLast = request.PinnedChannelsLast ?? request.DefaultChannelsLast;
        int defaultBatch = request.PinnedBatchSize ?? request.DefaultBatchSize;
        IReadOnlyList<bool> layouts = request.PinnedChannelsLast is null && request.ChannelsLastSafe
            ? [defaultChannelsLast, !defaultChannelsLast]
            : [defaultChannelsLast];
        IReadOnlyList<int> sizes = request.PinnedBatchSize is { } pinned
            ? [pinned]
            : MaskedForwardTuner.CandidateBatchSizes.Append(defaultBatch)
                .Where(s => s <= Math.Max(request.MaxBatchSize, defaultBatch)).Distinct().Order().ToList();
        if (layouts.Count == 1 && sizes.Count == 1) return null;
        return new MaskedForwardTuningSession(request, count, (long)Math.Floor(budgetFraction * count), clock, layouts, sizes);
    }

    /// <summary>The length of the batch that starts at item <paramref name="start"/>, and the setting it runs in.</summary>
    public long NextLength(long start)
    {
        if (_final is null)
        {
            if (_plan.MoveNext())
            {
                _current = _plan.Current;
                _spent += _current.BatchSize;
                return _current.BatchSize;
            }
            var best = Best(null);
            int batch = _request.PinnedBatchSize ?? MaskedForwards.Balanced(_count - start, best?.BatchSize ?? _defaultBatch);
            _final = new Step(batch, best?.ChannelsLast ?? _defaultChannelsLast, Tuning: false, Timed: false);
        }
        _current = _final.Value;
        return _current.BatchSize;
    }

    /// <summary>Runs <paramref name="score"/> on the current batch, timing it while tuning.</summary>
    public Tensor Score(long start, long length, Func<long, long, bool, Tensor> score)
    {
        if (!_current.Tuning) return score(start, length, _current.ChannelsLast);
        double begin = _clock();
        var rows = score(start, length, _current.ChannelsLast);
        if (_request.Device.type == TorchSharp.DeviceType.CUDA) cuda.synchronize(_request.Device);
        double seconds = _clock() - begin;
        _tuningSeconds += seconds;
        _tuningInputs += length;
        if (_current.Timed) _trials.Add(new MaskedForwardTrial(_current.BatchSize, _current.ChannelsLast, seconds / length));
        return rows;
    }

    /// <summary>The choice so far, or null when no candidate was timed.</summary>
    public MaskedForwardTuning? Outcome()
    {
        var best = Best(null);
        if (best is null) return null;
        double extra = Math.Max(0, _tuningSeconds - _tuningInputs * best.SecondsPerInput);
        return new MaskedForwardTuning(best.BatchSize, best.ChannelsLast, _trials.ToList(), _tuningSeconds, extra);
    }

    private IEnumerable<Step> Steps()
    {
        if (!TunesWithinCall) yield break;
        yield return new Step(_defaultBatch, _defaultChannelsLast, Tuning: true, Timed: false); // warm-up
        bool channelsLast = _defaultChannelsLast;
        if (_layouts.Count > 1)
        {
            foreach (bool layout in _layouts)
            {
                if (!Fits(_defaultBatch)) yield break;
                yield return new Step(_defaultBatch, layout, Tuning: true, Timed: true);
            }
            channelsLast = Best(null)!.ChannelsLast;
        }
        foreach (int size in _sizes)
        {
            if (_trials.Any(t => t.BatchSize == size && t.ChannelsLast == channelsLast)) continue;
            if (!Fits(size)) yield break;
            yield return new Step(size, channelsLast, Tuning: true, Timed: true);
            var best = Best(channelsLast)!;
            if (size > best.BatchSize && _trials[^1].SecondsPerInput > best.SecondsPerInput) break; // larger ones: slower
        }
        Complete = true;
    }

    private bool Fits(long inputs) => _spent + inputs <= _budget;

    private MaskedForwardTrial? Best(bool? channelsLast) => _trials
        .Where(t => channelsLast is null || t.ChannelsLast == channelsLast)
        .OrderBy(t => t.SecondsPerInput).FirstOrDefault();
}
