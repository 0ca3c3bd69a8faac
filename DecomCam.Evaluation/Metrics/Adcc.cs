using DecomCamNet.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet.Evaluation.Metrics;

/// <summary>
/// ADCC (Poppi et al. 2021, "Revisiting The Evaluation of Class Activation Mapping for Explainability"): the harmonic mean
/// of <see cref="MapCoherency"/>, 1 − <see cref="MapComplexity"/> and 1 − Average Drop (as a fraction, per image:
/// max(0, Y − O)/Y), ADCC = 3 / (1/(coherency + ε) + 1/(1 − complexity + ε) + 1/(1 − drop + ε)) with ε = 10⁻⁸ as in
/// pytorch-grad-cam's ARCC. Higher is better.
/// </summary>
public static class Adcc
{
    private static readonly Scalar Hundred = 100.ToScalar();
    private static readonly Scalar Three = 3.ToScalar();
    private static readonly Scalar Epsilon = 1e-8.ToScalar();

    /// <summary><c>3 / (1/(a + 1e-8) + 1/(b + 1e-8) + 1/(c + 1e-8))</c>, element-wise: the ADCC and ARCC combination.</summary>
    internal static Tensor HarmonicMean(Tensor a, Tensor b, Tensor c) =>
        Inverse(a).add(Inverse(b), CachedScalars.One).add(Inverse(c), CachedScalars.One).reciprocal().mul(Three);

    private static Tensor Inverse(Tensor t) => t.add(Epsilon, CachedScalars.One).reciprocal();

    /// <summary>
    /// ADCC and its parts for <paramref name="maps"/> [N,H,W] explaining <paramref name="classes"/> on
    /// <paramref name="images"/>; <paramref name="explain"/> re-runs the CAM method for coherency (see
    /// <see cref="MapCoherency.Compute"/>).
    /// </summary>
    /// <exception cref="ArgumentException">A shape or count does not fit, or classes are not explicit.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Maps outside [0,1], a class out of range.</exception>
    public static AdccResult Compute(nn.Module<Tensor, Tensor> model, Tensor images, Tensor maps, TargetClasses classes,
        Func<Tensor, Tensor, Tensor> explain, int? batchSize = null, CancellationToken cancellationToken = default)
    {
        MetricInputs.Model(model);
        using var scope = NewDisposeScope();
        var coherency = MapCoherency.Compute(images, maps, classes, explain);
        var complexity = MapComplexity.Compute(maps).to(coherency.device);
        using var confidence = ConfidenceChange.Compute(model, images, maps, classes, batchSize, null, cancellationToken);
        var drop = confidence.Drop.div(Hundred).to(ScalarType.Float32);
        var adcc = HarmonicMean(coherency, OwnedScalarOps.OneMinus(complexity), OwnedScalarOps.OneMinus(drop));
        return new AdccResult(coherency, complexity, drop, adcc).MoveOut();
    }
}

/// <summary>ADCC and its parts per image ([N] float32 tensors on the images' device); dispose it.</summary>
public sealed class AdccResult : IDisposable
{
    internal AdccResult(Tensor coherency, Tensor complexity, Tensor drop, Tensor adcc)
    {
        Coherency = coherency;
        Complexity = complexity;
        Drop = drop;
        Score = adcc;
        Mean = OwnedScalarOps.ToDoubleValue(adcc.mean());
    }

    /// <summary>Coherency in [0,1] [N].</summary>
    public Tensor Coherency { get; }

    /// <summary>Complexity in [0,1] [N].</summary>
    public Tensor Complexity { get; }

    /// <summary>The relative drop max(0, Y − O)/Y in [0,1] [N] (Average Drop / 100 per image).</summary>
    public Tensor Drop { get; }

    /// <summary>ADCC per image [N].</summary>
    public Tensor Score { get; }

    /// <summary>The mean ADCC.</summary>
    public double Mean { get; }

    internal AdccResult MoveOut()
    {
        foreach (var t in new[] { Coherency, Complexity, Drop, Score }) t.MoveToOuterDisposeScope();
        return this;
    }

    /// <summary>Disposes the tensors.</summary>
    public void Dispose()
    {
        foreach (var t in new[] { Coherency, Complexity, Drop, Score }) t.Dispose();
    }
}
