using DecomCamNet.Native;
using static TorchSharp.torch;

namespace DecomCamNet.Evaluation.Metrics;

/// <summary>
/// The scores of <see cref="Road.Evaluate"/>. Tensors on the images' device; dispose the result (or move out what you keep).
/// </summary>
public sealed class RoadResult : IDisposable
{
    internal RoadResult(double[] percentiles, Tensor original, Tensor mostRelevantFirst, Tensor leastRelevantFirst, Tensor classes)
    {
        Percentiles = percentiles;
        Original = original;
        MostRelevantFirst = mostRelevantFirst;
        LeastRelevantFirst = leastRelevantFirst;
        Classes = classes;
        var y = original.unsqueeze(1);
        MostRelevantFirstAverage = (mostRelevantFirst - y).mean(new long[] { 1 });
        LeastRelevantFirstAverage = (leastRelevantFirst - y).mean(new long[] { 1 });
        Combined = (LeastRelevantFirstAverage - MostRelevantFirstAverage).div(CachedScalars.Two);
        MeanCombined = OwnedScalarOps.ToDoubleValue(Combined.mean());
    }

    /// <summary>The percentiles, in the order of the columns.</summary>
    public IReadOnlyList<double> Percentiles { get; }

    /// <summary>The target's softmax probability on each input [N].</summary>
    public Tensor Original { get; }

    /// <summary>The probability after most-relevant-first removal and imputation [N,J], one column per percentile.</summary>
    public Tensor MostRelevantFirst { get; }

    /// <summary>The probability after least-relevant-first removal and imputation [N,J].</summary>
    public Tensor LeastRelevantFirst { get; }

    /// <summary>The scored class of each image [N] (long).</summary>
    public Tensor Classes { get; }

    /// <summary>The mean over percentiles of MoRF − original [N]: pytorch-grad-cam's <c>ROADMostRelevantFirstAverage</c>; lower is better.</summary>
    public Tensor MostRelevantFirstAverage { get; }

    /// <summary>The mean over percentiles of LeRF − original [N]: its <c>ROADLeastRelevantFirstAverage</c>; higher is better.</summary>
    public Tensor LeastRelevantFirstAverage { get; }

    /// <summary>(LeRF average − MoRF average)/2 per image [N]: its <c>ROADCombined</c>; higher is better.</summary>
    public Tensor Combined { get; }

    /// <summary>The mean of <see cref="Combined"/>.</summary>
    public double MeanCombined { get; }

    internal RoadResult MoveOut()
    {
        foreach (var t in Tensors) t.MoveToOuterDisposeScope();
        return this;
    }

    private IEnumerable<Tensor> Tensors => new[] { Original, MostRelevantFirst, LeastRelevantFirst, Classes, MostRelevantFirstAverage, LeastRelevantFirstAverage, Combined };

    /// <summary>Disposes the tensors.</summary>
    public void Dispose()
    {
        foreach (var t in Tensors) t.Dispose();
    }
}
