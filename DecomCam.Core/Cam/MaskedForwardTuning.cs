namespace DecomCamNet.Cam;

/// <summary>One candidate setting that <see cref="MaskedForwardTuner"/> timed: one batch of real masked inputs.</summary>
/// <param name="BatchSize">Masked inputs in the timed batch.</param>
/// <param name="ChannelsLast">Whether the batch was forwarded channels-last (else contiguous NCHW).</param>
/// <param name="SecondsPerInput">The batch's time divided by its inputs.</param>
public sealed record MaskedForwardTrial(int BatchSize, bool ChannelsLast, double SecondsPerInput);

/// <summary>
/// The masked-forward setting that <see cref="MaskedForwardTuner"/> chose for one model, input shape, device and dtype
/// (and the dimensions the caller pinned), kept for the process.
/// </summary>
/// <param name="BatchSize">The fastest batch size per input among the trials; later calls split their work into equal
/// batches of at most this many (<see cref="MaskedForwards.Balanced"/>).</param>
/// <param name="ChannelsLast">Whether the fastest trial was channels-last.</param>
/// <param name="Trials">Every timed candidate, in the order they ran (tuned across calls: each candidate once, with the median
/// of its rounds).</param>
/// <param name="TuningSeconds">Time spent in the tuning batches (the untimed warm-up batch and the trials), all of them
/// work the call needed anyway.</param>
/// <param name="ExtraSeconds">Estimated cost of tuning: what the tuning batches took beyond the chosen setting's time
/// per input for the same inputs.</param>
public sealed record MaskedForwardTuning(int BatchSize, bool ChannelsLast, IReadOnlyList<MaskedForwardTrial> Trials,
    double TuningSeconds, double ExtraSeconds);
