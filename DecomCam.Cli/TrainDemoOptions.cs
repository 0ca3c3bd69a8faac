namespace DecomCamNet.Cli;

/// <summary>The options of <c>decomcam train-demo</c>.</summary>
internal sealed record TrainDemoOptions
{
    private static readonly Evaluation.Training.DemoTrainingOptions Library = new();
    private static readonly Evaluation.Training.DetectionTrainingOptions DetectLibrary = new();

    public DemoTask Task { get; init; } = DemoTask.Classify;
    public int Seed { get; init; } = Library.Seed;
    public int? StepsGiven { get; init; }
    public int? BatchSizeGiven { get; init; }
    public double? LearningRateGiven { get; init; }
    public int? HeldOutGiven { get; init; }
    public string Device { get; init; } = CheckedOptions.DefaultDevice;
    public int? Threads { get; init; }
    public Verbosity Verbosity { get; init; } = new();
    public string? OutGiven { get; init; }

    private bool Detect => Task == DemoTask.Detect;

    /// <summary>The settings given, else the library's defaults of the task's trainer.</summary>
    public int Steps => StepsGiven ?? (Detect ? DetectLibrary.Steps : Library.Steps);
    public int BatchSize => BatchSizeGiven ?? (Detect ? DetectLibrary.BatchSize : Library.BatchSize);
    public double LearningRate => LearningRateGiven ?? (Detect ? DetectLibrary.MaxLearningRate : Library.MaxLearningRate);
    public int HeldOut => HeldOutGiven ?? (Detect ? DetectLibrary.HeldOut : Library.HeldOut);
    public string Out => OutGiven ?? (Detect ? "scenedet.safetensors" : "scenenet.safetensors");
}

/// <summary>What <c>train-demo</c> trains: the classifier SceneNet or the detector SceneDet.</summary>
internal enum DemoTask
{
    Classify,
    Detect,
}
