using static TorchSharp.torch;

namespace DecomCamNet.Cam;

/// <summary>
/// What <see cref="MaskedForwardTuner"/> needs to know about one call's masked forwards: whose forwards they are, the
/// heuristic default, what the caller pinned and what may be tried.
/// </summary>
/// <param name="Model">The model instance (held weakly by the tuner's cache).</param>
/// <param name="InputShape">The shape of one input without the batch dimension (e.g. [3,224,224]).</param>
/// <param name="Device">Where the forwards run.</param>
/// <param name="Dtype">The inputs' element type.</param>
/// <param name="DefaultBatchSize">The heuristic's batch size for this call (used as is when tuning is off).</param>
/// <param name="DefaultChannelsLast">The heuristic's layout for this call.</param>
/// <param name="PinnedBatchSize">A batch size the caller chose explicitly (not varied), or null.</param>
/// <param name="PinnedChannelsLast">A layout the caller chose explicitly (not varied), or null.</param>
/// <param name="ChannelsLastSafe">Whether channels-last may be tried (<see cref="MaskedForwards.ChannelsLastSafe"/>).</param>
/// <param name="MaxBatchSize">The largest batch size a candidate may have (the memory cap).</param>
/// <param name="Tune">False: always the heuristic (or pinned) setting, nothing timed or cached.</param>
public sealed record MaskedForwardRequest(object Model, IReadOnlyList<long> InputShape, Device Device, ScalarType Dtype,
    int DefaultBatchSize, bool DefaultChannelsLast, int? PinnedBatchSize, bool? PinnedChannelsLast, bool ChannelsLastSafe,
    int MaxBatchSize, bool Tune = true)
{
    /// <summary>The cache key within one model: shape, device, dtype and the pinned dimensions.</summary>
    internal string Key => $"{string.Join('x', InputShape)}|{Device}|{Dtype}|{PinnedBatchSize}|{PinnedChannelsLast}";
}
