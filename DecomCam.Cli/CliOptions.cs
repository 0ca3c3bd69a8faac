namespace DecomCamNet.Cli;

/// <summary>The options of <c>decomcam explain</c>, as <see cref="ExplainCommandLine"/> bound them; the defaults are these
/// (and, for the method's settings, those of <see cref="CamMethodSettings"/> and the methods' options).</summary>
internal sealed record CliOptions
{
    public string? Input { get; init; }
    public string? Model { get; init; }
    public string? Weights { get; init; }
    public bool RandomWeights { get; init; }
    public int? NumClasses { get; init; }
    public string? Layer { get; init; }
    public string Method { get; init; } = "gradcam";

    /// <summary>What the method-specific options set; their defaults are the methods' own.</summary>
    public CamMethodSettings Settings { get; init; } = new();
    public int[]? Targets { get; init; }
    public TargetScore Score { get; init; } = TargetScore.Logit;
    public bool SumTargets { get; init; }
    public string? SimilarTo { get; init; }
    public int? SegmentClass { get; init; }
    public string? SegmentMask { get; init; }
    public Detection.DetectionLayout? Detector { get; init; }
    public string[] Boxes { get; init; } = Array.Empty<string>();
    public int MaxDetections { get; init; } = 10;
    public float Confidence { get; init; } = 0.25f;
    public string? SaveMap { get; init; }
    public string? Overlay { get; init; }
    public string? Heatmap { get; init; }
    public bool BareOverlay { get; init; }
    public string? SaveComponents { get; init; }
    public float Alpha { get; init; } = 0.5f;
    public string Device { get; init; } = CheckedOptions.DefaultDevice;
    public int? Threads { get; init; }
    public int Repeat { get; init; }
    public string? Labels { get; init; }
    public ImageOptions Image { get; init; } = new();
    public string? PreprocessOnnx { get; init; }
    public bool ListLayers { get; init; }
    public Verbosity Verbosity { get; init; } = new();
    public bool HugePages { get; init; }
    public bool PlainHeap { get; init; }
    public bool SpinThreads { get; init; }
    public string? SaveMetrics { get; init; }
    public string? Mask { get; init; }
    public string[] Prompts { get; init; } = Array.Empty<string>();
    public string? PromptsFile { get; init; }
    public bool AllPrompts { get; init; }
    public ActivationReshape? Reshape { get; init; }
    public string? Out { get; init; }
    public bool Resume { get; init; }
    public Batches.ShardSpec? Shard { get; init; }
    public int ImagesPerBatch { get; init; } = 8;
    public bool NoOverlay { get; init; }
    public bool SaveOssms { get; init; }
    public bool Report { get; init; }
    public Imaging.NpyDtype MapDtype { get; init; } = Imaging.NpyDtype.Float32;
    public Clip.ClipScore ClipScore { get; init; } = Clip.ClipScore.Cosine;
}

/// <summary>A user error on the command line: printed as one line, exit code 2.</summary>
internal sealed class CliException(string message) : Exception(message);

/// <summary>What <c>--score</c> reads for a class target.</summary>
internal enum TargetScore
{
    Logit,
    Softmax,
    Sigmoid,
}
