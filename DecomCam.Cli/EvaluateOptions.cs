namespace DecomCamNet.Cli;

/// <summary>The options of <c>decomcam evaluate</c>, as <see cref="EvaluateCommandLine"/> parsed them; the defaults are these.</summary>
internal sealed record EvaluateOptions
{
    public string[] Methods { get; init; } = { "gradcam", "gradcam++", "scorecam", "unioncam", "decomcam" };
    public int Count { get; init; } = 100;
    public int Seed { get; init; } = 1;
    public string Out { get; init; } = "decomcam-evaluation";
    public string? Model { get; init; }
    public string? Weights { get; init; }
    public string? Layer { get; init; }
    public string? Images { get; init; }
    public string? Masks { get; init; }
    public int Steps { get; init; } = 50;
    public int Bins { get; init; } = 5;
    public int BatchSize { get; init; } = 16;
    public int? Threads { get; init; }
    public bool Road { get; init; }
    public Batches.ShardSpec? Shard { get; init; }
}
