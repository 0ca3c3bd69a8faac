using DecomCamNet.Evaluation.Runs;

namespace DecomCamNet.Cli;

/// <summary>
/// The options of <c>decomcam evaluate</c>, as <see cref="EvaluateCommandLine"/> parsed them; the defaults are these, the
/// metric settings' those of <see cref="Evaluation.Runs.EvaluationOptions"/>.
/// </summary>
internal sealed record EvaluateOptions
{
    private static readonly Evaluation.Runs.EvaluationOptions Library = new();
    private static readonly DetectionEvaluationOptions Detection = new();

    public string[] Methods { get; init; } = Library.Methods.ToArray();
    public string Task { get; init; } = "classify";
    public float Confidence { get; init; } = Detection.Detection.ConfidenceThreshold;
    public int MaxDetections { get; init; } = Detection.Detection.MaxDetections;
    public int Count { get; init; } = 100;
    public int Seed { get; init; } = 1;
    public string Out { get; init; } = "decomcam-evaluation";
    public string? Model { get; init; }
    public string? Weights { get; init; }
    public string? Layer { get; init; }
    public string? Images { get; init; }
    public string? Masks { get; init; }
    public int Steps { get; init; } = Library.Steps;
    public int Bins { get; init; } = Library.Bins;
    public int BatchSize { get; init; } = Library.BatchSize;
    public int? Threads { get; init; }
    public Verbosity Verbosity { get; init; } = new();
    public string Device { get; init; } = CheckedOptions.DefaultDevice;
    public ImageOptions Image { get; init; } = new();
    public bool Road { get; init; }
    public bool Report { get; init; }
    public Batches.ShardSpec? Shard { get; init; }
}
