using DecomCamNet.Native;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace DecomCamNet.Cam;

/// <summary>
/// Masked forwards that tune themselves: on first use for a model instance, input shape, device and dtype, the call's own
/// batches try a few settings (batch sizes <see cref="CandidateBatchSizes"/> and the heuristic's, up to the request's
/// memory cap; contiguous and channels-last where that is safe), the fastest per input is kept for the process and used
/// thereafter. Dimensions the caller pinned are not varied. The candidates are batches the call needed anyway, so nothing
/// is computed twice and the scores do not depend on the choice beyond float32 rounding (batch composition changes only
/// rounding); all tuning batches together stay within <see cref="BudgetFraction"/> of one call's inputs, and the choice,
/// the measured times per input and the time spent are logged at debug level. Thread-safe: the cache holds each model
/// weakly; two threads tuning the same key at once both tune, and the first to finish is kept. Calls with too few inputs
/// to tune within one (DecomCAM's Q blends of one image) tune across calls instead: each runs all of its inputs in one
/// candidate setting, timed as a whole, until every candidate has run (<see cref="MaskedForwardCallTrials"/>).
/// </summary>
public sealed class MaskedForwardTuner
{
    /// <summary>The default largest share of one call's masked inputs that tuning batches may take: 25%.</summary>
    public const double DefaultBudgetFraction = 0.25;

    /// <summary>The batch sizes tried besides the heuristic's (those above the request's memory cap are left out).</summary>
    public static IReadOnlyList<int> CandidateBatchSizes { get; } = [4, 8, 16, 32];

    /// <summary>The process-wide tuner, on the wall clock, that the methods and metrics use.</summary>
    public static MaskedForwardTuner Shared { get; } = new(() => Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency);

    private readonly Func<double> _clock;
    private readonly Action _settingChanged;
    private readonly ConditionalWeakTable<object, ConcurrentDictionary<string, MaskedForwardTuning>> _cache = new();
    private readonly ConditionalWeakTable<object, ConcurrentDictionary<string, MaskedForwardCallTrials>> _callTrials = new();

    /// <summary>A tuner with its own cache, timing batches with <paramref name="clockSeconds"/> (seconds, increasing).</summary>
    /// <param name="clockSeconds">The clock.</param>
    /// <param name="budgetFraction">The largest share of one call's masked inputs that its tuning batches may take.</param>
    /// <param name="settingChanged">Called when tuning across calls moves to another setting, and when it ends on a setting
    /// other than the last one tried: by default <see cref="NativeHeap.Trim"/>, so that the freed blocks of one setting's
    /// batches (kept by <see cref="NativeHeap.KeepFreedMemory"/>) do not pile up with the next one's (ResNet-50, DecomCAM's
    /// defaults: 1.05-1.10 GB peak without, the peak of one setting with).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="budgetFraction"/> outside [0, 1].</exception>
    public MaskedForwardTuner(Func<double> clockSeconds, double budgetFraction = DefaultBudgetFraction, Action? settingChanged = null)
    {
        _settingChanged = settingChanged ?? (() => NativeHeap.Trim());
        ArgumentNullException.ThrowIfNull(clockSeconds);
        if (!(budgetFraction >= 0 && budgetFraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(budgetFraction), budgetFraction, "The tuning budget is a fraction of a call's inputs, in [0, 1].");
        _clock = clockSeconds;
        BudgetFraction = budgetFraction;
    }

    /// <summary>The largest share of one call's masked inputs that its tuning batches (warm-up and trials) may take.</summary>
    public double BudgetFraction { get; }

    /// <summary>The setting kept for <paramref name="request"/>'s model, shape, device, dtype and pinned dimensions, or null before it is tuned.</summary>
    public MaskedForwardTuning? Tuned(MaskedForwardRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return _cache.TryGetValue(request.Model, out var byKey) && byKey.TryGetValue(request.Key, out var tuning) ? tuning : null;
    }

    /// <summary>
    /// Whether calls on <paramref name="model"/> are still tuning across calls (calls too small to tune within one, see
    /// <see cref="MaskedForwardCallTrials"/>): the next calls may run other settings. Timing loops warm up until it is false.
    /// </summary>
    public bool TuningAcrossCalls(object model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return _callTrials.TryGetValue(model, out var byKey) && byKey.Values.Any(t => t.Unsettled);
    }

    /// <summary>
    /// Scores <paramref name="count"/> items through <see cref="BatchedScoring"/> in the tuned setting, tuning it first on
    /// this call's batches when it is not known yet. <paramref name="score"/> gets items [start, start+length) and
    /// whether to forward them channels-last, and returns one row per item.
    /// </summary>
    /// <returns>The rows of every batch, [count,...], owned by the caller's dispose scope.</returns>
    public Tensor Run(MaskedForwardRequest request, long count, Func<long, long, bool, Tensor> score, ILogger? logger,
        CancellationToken cancellationToken, IProgress<CamProgress>? progress = null, string? stage = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(score);
        if (request.PinnedBatchSize is < 1)
            throw new ArgumentOutOfRangeException(nameof(request), request.PinnedBatchSize, "The batch size must be at least 1.");
        if (request.Tune && Tuned(request) is { } tuned)
            return BatchedScoring.Run(count, request.PinnedBatchSize ?? MaskedForwards.Balanced(count, tuned.BatchSize),
                (start, length) => score(start, length, tuned.ChannelsLast), cancellationToken, progress, stage);
        var session = request.Tune ? MaskedForwardTuningSession.Start(request, count, BudgetFraction, _clock) : null;
        if (session is null)
        {
            bool channelsLast = request.PinnedChannelsLast ?? request.DefaultChannelsLast;
            return BatchedScoring.Run(count, request.PinnedBatchSize ?? request.DefaultBatchSize,
                (start, length) => score(start, length, channelsLast), cancellationToken, progress, stage);
        }
        if (!session.TunesWithinCall) return RunAcrossCalls(request, count, session, score, logger, cancellationToken, progress, stage);
        var result = BatchedScoring.Run(count, session.NextLength, (start, length) => session.Score(start, length, score),
            cancellationToken, progress, stage);
        if (session.Outcome() is { } outcome)
        {
            if (session.Complete) _cache.GetValue(request.Model, _ => new()).TryAdd(request.Key, outcome);
            logger?.LogDebug("Masked forwards on {Shape} ({Device}, {Dtype}): batch {Batch}, {Layout}{Partial}; tried {Trials}; tuning took {Seconds:F3} s of this call's work, {Extra:F3} s more than the chosen setting would have",
                string.Join('x', request.InputShape), request.Device, request.Dtype, outcome.BatchSize,
                outcome.ChannelsLast ? "channels-last" : "contiguous", session.Complete ? "" : " (tuning incomplete: too few inputs, not kept)",
                string.Join(", ", outcome.Trials.Select(t => $"{t.BatchSize} {(t.ChannelsLast ? "channels-last" : "contiguous")} {t.SecondsPerInput * 1e3:F2} ms/input")),
                outcome.TuningSeconds, outcome.ExtraSeconds);
        }
        return result;
    }

    /// <summary>A call too small to tune within (<see cref="MaskedForwardCallTrials"/>): all of its inputs in the next
    /// setting across calls, timed as a whole when it is a trial; the outcome is kept once every candidate has run.</summary>
    private Tensor RunAcrossCalls(MaskedForwardRequest request, long count, MaskedForwardTuningSession session,
        Func<long, long, bool, Tensor> score, ILogger? logger, CancellationToken cancellationToken, IProgress<CamProgress>? progress, string? stage)
    {
        var trials = _callTrials.GetValue(request.Model, _ => new())
            .GetOrAdd(request.Key, _ => MaskedForwardCallTrials.Plan(request, count, session.Layouts, session.Sizes));
        var (batchSize, channelsLast, timed, changed) = trials.Next();
        if (changed) _settingChanged();
        double begin = timed ? _clock() : 0;
        var result = BatchedScoring.Run(count, MaskedForwards.Balanced(count, batchSize),
            (start, length) => score(start, length, channelsLast), cancellationToken, progress, stage);
        if (!timed) return result;
        if (request.Device.type == TorchSharp.DeviceType.CUDA) cuda.synchronize(request.Device);
        if (trials.Record(batchSize, channelsLast, count, _clock() - begin) is { } outcome)
        {
            if ((outcome.BatchSize, outcome.ChannelsLast) != (batchSize, channelsLast)) _settingChanged();
            _cache.GetValue(request.Model, _ => new()).TryAdd(request.Key, outcome);
            logger?.LogDebug("Masked forwards on {Shape} ({Device}, {Dtype}), tuned across {Calls} calls of a few inputs: batch {Batch}, {Layout}; tried {Trials}; the trials took {Extra:F3} s more than the chosen setting would have",
                string.Join('x', request.InputShape), request.Device, request.Dtype, outcome.Trials.Count * MaskedForwardCallTrials.Rounds + 1, outcome.BatchSize,
                outcome.ChannelsLast ? "channels-last" : "contiguous",
                string.Join(", ", outcome.Trials.Select(t => $"{t.BatchSize} {(t.ChannelsLast ? "channels-last" : "contiguous")} {t.SecondsPerInput * 1e3:F2} ms/input")),
                outcome.ExtraSeconds);
        }
        return result;
    }
}
