namespace DecomCamNet.Evaluation.Metrics;

/// <summary>Which pixels ROAD removes first.</summary>
public enum RoadOrder
{
    /// <summary>MoRF: at percentile p, the pixels whose map value is at least the p-th percentile of the map are removed (100 − p % of them).</summary>
    MostRelevantFirst,

    /// <summary>LeRF: at percentile p, the pixels whose value of 1 − map is at least the p-th percentile of 1 − map are removed (the least relevant 100 − p %).</summary>
    LeastRelevantFirst,
}

/// <summary>Options of <see cref="Road"/>; the defaults are pytorch-grad-cam's <c>ROADCombined</c>.</summary>
public sealed record RoadOptions
{
    /// <summary>The percentiles, each in [0,100] (default 10, 20, …, 90).</summary>
    public IReadOnlyList<double> Percentiles { get; init; } = new double[] { 10, 20, 30, 40, 50, 60, 70, 80, 90 };

    /// <summary>The imputation noise's standard deviation in the input tensor's units (default 0.01).</summary>
    public double Noise { get; init; } = NoisyLinearImputation.DefaultNoise;

    /// <summary>
    /// The seed of the noise. Each (order, percentile, image) draws from a generator seeded by a fixed function of this
    /// seed, the order, the percentile and the image's index, so results do not depend on the batch size; they do depend
    /// on the device (CPU and CUDA generators differ).
    /// </summary>
    public long Seed { get; init; }

    /// <summary>The most imputed images per forward (and per batched solve); default 32 on a GPU, 8 on a CPU.</summary>
    public int? BatchSize { get; init; }

    /// <summary>The most conjugate-gradient iterations of the imputation (default 10·(H+W) + 100).</summary>
    public int? MaxIterations { get; init; }

    /// <summary>The imputation solver's relative residual tolerance.</summary>
    public double Tolerance { get; init; } = NoisyLinearImputation.DefaultTolerance;
}
