using DecomCamNet.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet.Evaluation.Metrics;

/// <summary>
/// The energy-based pointing game (Wang et al. 2020, Score-CAM): the share of a map's energy inside the ground-truth
/// mask, Σ(map·mask) / Σ map, per image.
/// </summary>
public static class EnergyPointingGame
{
    private static readonly Scalar NaN = double.NaN.ToScalar();

    /// <summary>
    /// The proportion in [0,1] per image [N] (float32, on the maps' device) for maps [N,H,W] in [0,1] and masks [N,H,W]
    /// (boolean or 0/1, copied to the maps' device). NaN for an all-zero map, which has no energy to place.
    /// </summary>
    /// <exception cref="ArgumentException">A shape does not fit, or masks hold values other than 0 and 1.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Maps outside [0,1].</exception>
    public static Tensor Compute(Tensor maps, Tensor masks)
    {
        if (maps is null) throw new ArgumentNullException(nameof(maps));
        if (maps.dim() != 3) throw new ArgumentException($"Maps must be [N,H,W]; got {MetricInputs.Shape(maps)}.", nameof(maps));
        MetricInputs.Maps(maps, maps.shape[0], maps.shape[1], maps.shape[2]);
        MetricInputs.Masks(masks, maps.shape[0], maps.shape[1], maps.shape[2]);

        using var scope = NewDisposeScope();
        var energy = maps.to(ScalarType.Float64).clamp_min(CachedScalars.Zero).flatten(1);
        var inside = (energy * masks.to(ScalarType.Float64, maps.device).flatten(1)).sum(1);
        var total = energy.sum(1);
        return where(total.gt(CachedScalars.Zero), inside / total, full_like(total, NaN)).to(ScalarType.Float32).MoveToOuterDisposeScope();
    }
}
