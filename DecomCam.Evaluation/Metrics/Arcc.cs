using DecomCamNet.Native;
using static TorchSharp.torch;

namespace DecomCamNet.Evaluation.Metrics;

/// <summary>
/// ARCC, as pytorch-grad-cam's <c>arcc.py</c> defines it: the harmonic mean of <see cref="MapCoherency"/>, 1 −
/// <see cref="MapComplexity"/> and ROAD, ARCC = 3 / (1/(coherency + ε) + 1/(1 − complexity + ε) + 1/(road + ε)) with
/// ε = 10⁻⁸, where road = clip(2·<see cref="RoadResult.Combined"/>, 0, 1) with ROAD's percentiles 20, 40, 60, 80.
/// (The reference's docstring says "geometric mean"; its formula, followed here, is the harmonic one.) Higher is better.
/// </summary>
public static class Arcc
{
    /// <summary>pytorch-grad-cam's ROAD percentiles for ARCC.</summary>
    public static IReadOnlyList<double> DefaultPercentiles { get; } = new double[] { 20, 40, 60, 80 };

    /// <summary>
    /// ARCC and its parts for <paramref name="maps"/> [N,H,W] explaining <paramref name="classes"/> on
    /// <paramref name="images"/>; <paramref name="explain"/> re-runs the CAM method for coherency (see
    /// <see cref="MapCoherency.Compute"/>). <paramref name="roadOptions"/> defaults to <see cref="DefaultPercentiles"/>
    /// with ROAD's other defaults.
    /// </summary>
    /// <exception cref="ArgumentException">A shape or count does not fit, or classes are not explicit.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Maps outside [0,1], a bad ROAD setting, a class out of range.</exception>
    public static ArccResult Compute(nn.Module<Tensor, Tensor> model, Tensor images, Tensor maps, TargetClasses classes,
        Func<Tensor, Tensor, Tensor> explain, RoadOptions? roadOptions = null, IProgress<CamProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        MetricInputs.Model(model);
        roadOptions ??= new RoadOptions { Percentiles = DefaultPercentiles };
        using var scope = NewDisposeScope();
        var coherency = MapCoherency.Compute(images, maps, classes, explain);
        var complexity = MapComplexity.Compute(maps).to(coherency.device);
        using var road = Road.Evaluate(model, images, maps, classes, roadOptions, progress, cancellationToken);
        var roadScore = road.Combined.mul(CachedScalars.Two).clamp(CachedScalars.Zero, CachedScalars.One).to(ScalarType.Float32);
        var arcc = Adcc.HarmonicMean(coherency, OwnedScalarOps.OneMinus(complexity), roadScore);
        return new ArccResult(coherency, complexity, road.Combined.to(ScalarType.Float32), arcc).MoveOut();
    }
}

/// <summary>ARCC and its parts per image ([N] float32 tensors on the images' device); dispose it.</summary>
public sealed class ArccResult : IDisposable
{
    internal ArccResult(Tensor coherency, Tensor complexity, Tensor road, Tensor arcc)
    {
        Coherency = coherency;
        Complexity = complexity;
        Road = road;
        Score = arcc;
        Mean = OwnedScalarOps.ToDoubleValue(arcc.mean());
    }

    /// <summary>Coherency in [0,1] [N].</summary>
    public Tensor Coherency { get; }

    /// <summary>Complexity in [0,1] [N].</summary>
    public Tensor Complexity { get; }

    /// <summary>ROAD combined, before the ×2 and clipping [N].</summary>
    public Tensor Road { get; }

    /// <summary>ARCC per image [N].</summary>
    public Tensor Score { get; }

    /// <summary>The mean ARCC.</summary>
    public double Mean { get; }

    internal ArccResult MoveOut()
    {
        foreach (var t in new[] { Coherency, Complexity, Road, Score }) t.MoveToOuterDisposeScope();
        return this;
    }

    /// <summary>Disposes the tensors.</summary>
    public void Dispose()
    {
        foreach (var t in new[] { Coherency, Complexity, Road, Score }) t.Dispose();
    }
}
