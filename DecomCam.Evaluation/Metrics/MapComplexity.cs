using static TorchSharp.torch;

namespace DecomCamNet.Evaluation.Metrics;

/// <summary>
/// Complexity (Poppi et al. 2021, ADCC; pytorch-grad-cam's <c>Complexity</c>): the L1 norm of a map divided by its number
/// of pixels, i.e. its mean absolute value, in [0,1] for maps in [0,1]: 0 for an empty map, 1 for a map of ones. Lower
/// means a sparser explanation.
/// </summary>
public static class MapComplexity
{
    /// <summary>The complexity of each map [N] (float32, on the maps' device) for maps [N,H,W] in [0,1].</summary>
    /// <exception cref="ArgumentException">Maps are not [N,H,W] or not finite.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Maps outside [0,1].</exception>
    public static Tensor Compute(Tensor maps)
    {
        if (maps is null) throw new ArgumentNullException(nameof(maps));
        if (maps.dim() != 3) throw new ArgumentException($"Maps must be [N,H,W]; got {MetricInputs.Shape(maps)}.", nameof(maps));
        MetricInputs.Maps(maps, maps.shape[0], maps.shape[1], maps.shape[2]);
        using var scope = NewDisposeScope();
        return maps.flatten(1).to(ScalarType.Float64).abs().mean(new long[] { 1 }).to(ScalarType.Float32).MoveToOuterDisposeScope();
    }
}
