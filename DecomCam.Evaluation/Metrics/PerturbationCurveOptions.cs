using DecomCamNet.Cam;
namespace DecomCamNet.Evaluation.Metrics;

/// <summary>What removed pixels become (deletion) or what the image starts from (insertion).</summary>
public enum PerturbationCanvas
{
    /// <summary>Zeros in the input tensor's units (for a normalised input: the dataset mean colour).</summary>
    Zero,

    /// <summary>The input tensor blurred with <see cref="GaussianBlur"/> (σ = <see cref="PerturbationCurveOptions.BlurSigma"/>).</summary>
    Blur,
}

/// <summary>
/// Options of <see cref="DeletionInsertion"/>. Defaults follow RISE (Petsiuk et al. 2018): deletion towards a zero canvas,
/// insertion from a blurred canvas; RISE's blur kernel is <c>gkern(11, 5)</c>, a Gaussian of σ = 1 px over 11 taps,
/// matched here by σ = 1 with truncation at 5σ (our blur reflects at the border where RISE pads with zeros).
/// </summary>
public sealed record PerturbationCurveOptions
{
    /// <summary>The number of steps; the curve has Steps + 1 points, at pixel fractions 0, 1/Steps, …, 1 (default 100).</summary>
    public int Steps { get; init; } = 100;

    /// <summary>The canvas; null (default) means zero for deletion and blurred for insertion, as in RISE.</summary>
    public PerturbationCanvas? Canvas { get; init; }

    /// <summary>σ of the blurred canvas in pixels (default 1, RISE's).</summary>
    public double BlurSigma { get; init; } = 1;

    /// <summary>The blur's truncation in units of σ (default 5: an 11-tap kernel at σ = 1, RISE's).</summary>
    public double BlurTruncate { get; init; } = 5;

    /// <summary>The most step images per forward (default 32 on a GPU, 8 on a CPU).</summary>
    public int? BatchSize { get; init; }
}
