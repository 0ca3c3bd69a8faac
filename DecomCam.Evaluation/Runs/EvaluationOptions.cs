using DecomCamNet.Batches;

namespace DecomCamNet.Evaluation.Runs;

/// <summary>What <see cref="EvaluationRunner.Run"/> evaluates and how; the defaults are those of the command line's <c>evaluate</c>.</summary>
public sealed record EvaluationOptions
{
    /// <summary>The methods (names of <see cref="CamMethods"/>), in the order the report lists them.</summary>
    public IReadOnlyList<string> Methods { get; init; } = ["gradcam", "gradcam++", "scorecam", "unioncam", "decomcam"];

    /// <summary>The target layers the methods explain (at least one).</summary>
    public IReadOnlyList<CamLayer> Layers { get; init; } = [];

    /// <summary>The model's name, as the report gives it.</summary>
    public string ModelName { get; init; } = "model";

    /// <summary>Insertion/deletion steps (at least 2).</summary>
    public int Steps { get; init; } = 50;

    /// <summary>Equal-count confidence bins of the per-bin report (at least 1).</summary>
    public int Bins { get; init; } = 5;

    /// <summary>Images per batch of explanations and metric forwards (at least 1).</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>Whether to compute ROAD too (noisy linear imputation; slow, so off by default).</summary>
    public bool Road { get; init; }

    /// <summary>Which shard of the images to evaluate (<see cref="ShardSpec.All"/>: all of them).</summary>
    public ShardSpec Shard { get; init; } = ShardSpec.All;
}
