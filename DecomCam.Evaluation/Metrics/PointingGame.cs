using DecomCamNet.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet.Evaluation.Metrics;

/// <summary>
/// The pointing game (Zhang et al. 2016, "Top-down neural attention by excitation backprop"): a hit when the map's
/// maximum lies within <c>tolerance</c> pixels (Euclidean) of the ground-truth mask, i.e. inside the mask dilated by a
/// disc of that radius. The usual protocol (Zhang et al.; TorchRay) uses 15 px, our default. Where the maximum is
/// reached at several pixels, the first in row-major order is the point.
/// </summary>
public static class PointingGame
{
    private static readonly Scalar PositiveInfinity = double.PositiveInfinity.ToScalar();
    private static readonly Scalar NaN = float.NaN.ToScalar();

    /// <summary>The tolerance radius of the usual protocol, in pixels.</summary>
    public const int DefaultTolerance = 15;

    /// <summary>
    /// Plays the game for maps [N,H,W] against masks [N,H,W] (boolean or 0/1) on any device (the masks are copied to the
    /// maps'). An image whose mask is empty has no hit or miss: NaN in <see cref="PointingGameResult.Hits"/>, left out of
    /// <see cref="PointingGameResult.Accuracy"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A shape does not fit, or masks hold values other than 0 and 1.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Maps outside [0,1], or a negative tolerance.</exception>
    public static PointingGameResult Evaluate(Tensor maps, Tensor masks, double tolerance = DefaultTolerance)
    {
        if (maps is null) throw new ArgumentNullException(nameof(maps));
        if (maps.dim() != 3) throw new ArgumentException($"Maps must be [N,H,W]; got {MetricInputs.Shape(maps)}.", nameof(maps));
        MetricInputs.Maps(maps, maps.shape[0], maps.shape[1], maps.shape[2]);
        MetricInputs.Masks(masks, maps.shape[0], maps.shape[1], maps.shape[2]);
        if (!(tolerance >= 0)) throw new ArgumentOutOfRangeException(nameof(tolerance), tolerance, "The tolerance must be a non-negative number of pixels.");

        using var scope = NewDisposeScope();
        long n = maps.shape[0], h = maps.shape[1], w = maps.shape[2];
        var inside = masks.to(maps.device).to(ScalarType.Bool);
        var index = maps.flatten(1).argmax(1);
        using var width = w.ToScalar();
        var y = index.div(width, rounding_mode: RoundingMode.floor);
        var x = index.remainder(width);
        var rows = OwnedScalarOps.Arange(h, ScalarType.Float64, maps.device).view(1, h, 1);
        var columns = OwnedScalarOps.Arange(w, ScalarType.Float64, maps.device).view(1, 1, w);
        var distance2 = (rows - y.to(ScalarType.Float64).view(n, 1, 1)).pow(CachedScalars.Two)
            .add((columns - x.to(ScalarType.Float64).view(n, 1, 1)).pow(CachedScalars.Two), CachedScalars.One);
        var nearest = where(inside, distance2, full_like(distance2, PositiveInfinity)).flatten(1).amin(new long[] { 1 });
        using var toleranceSquared = (tolerance * tolerance).ToScalar();
        var hits = where(inside.flatten(1).any(1), nearest.le(toleranceSquared).to(ScalarType.Float32), full(n, NaN, device: maps.device));
        return new PointingGameResult(hits, stack(new[] { y, x }, 1)).MoveOut();
    }
}
