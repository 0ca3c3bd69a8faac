using DecomCamNet.Native;
using static TorchSharp.torch;

namespace DecomCamNet.Evaluation.Metrics;

/// <summary>The outcome of <see cref="PointingGame"/>. Tensors on the maps' device; dispose the result.</summary>
public sealed class PointingGameResult : IDisposable
{
    internal PointingGameResult(Tensor hits, Tensor points)
    {
        Hits = hits;
        Points = points;
        using var scope = NewDisposeScope();
        var valid = hits.isnan().logical_not();
        long counted = valid.sum().item<long>();
        Counted = counted;
        Accuracy = counted == 0 ? double.NaN : OwnedScalarOps.ToDoubleValue(hits.masked_select(valid).mean());
    }

    /// <summary>1 for a hit, 0 for a miss, NaN for an empty mask, per image [N] (float32).</summary>
    public Tensor Hits { get; }

    /// <summary>The point of each map, (row, column) [N,2] (long).</summary>
    public Tensor Points { get; }

    /// <summary>The number of images with a non-empty mask.</summary>
    public long Counted { get; }

    /// <summary>Hits / (hits + misses) over the images with a non-empty mask, in [0,1]; NaN when there are none.</summary>
    public double Accuracy { get; }

    internal PointingGameResult MoveOut()
    {
        Hits.MoveToOuterDisposeScope();
        Points.MoveToOuterDisposeScope();
        return this;
    }

    /// <summary>Disposes the tensors.</summary>
    public void Dispose()
    {
        Hits.Dispose();
        Points.Dispose();
    }
}
