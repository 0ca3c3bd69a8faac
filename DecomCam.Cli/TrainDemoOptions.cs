using DecomCamNet.Evaluation.Training;

namespace DecomCamNet.Cli;

/// <summary>The options of <c>decomcam train-demo</c>; what is not given defaults to the trainer's own settings for the
/// task and architecture (<see cref="DemoTrainingOptions.For"/>, <see cref="DetectionTrainingOptions"/>).</summary>
internal sealed record TrainDemoOptions
{
    private static readonly DemoTrainingOptions Library = new();
    private static readonly DetectionTrainingOptions DetectLibrary = new();

    public DemoTask Task { get; init; } = DemoTask.Classify;
    public DemoArchitecture Architecture { get; init; } = Library.Architecture;
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
    private DemoTrainingOptions Classifier => DemoTrainingOptions.For(Architecture);

    /// <summary>The zoo name of what is trained: <c>scenenet</c>, <c>scenevit</c> or <c>scenedet</c>.</summary>
    public string ModelName => Detect ? BundledAssets.DetectorModel
        : Architecture == DemoArchitecture.Vit ? BundledAssets.DemoVit : BundledAssets.DemoModel;

    /// <summary>The settings given, else the defaults of the task's trainer (and, classifying, the architecture's).</summary>
    public int Steps => StepsGiven ?? (Detect ? DetectLibrary.Steps : Classifier.Steps);
    public int BatchSize => BatchSizeGiven ?? (Detect ? DetectLibrary.BatchSize : Classifier.BatchSize);
    public double LearningRate => LearningRateGiven ?? (Detect ? DetectLibrary.MaxLearningRate : Classifier.MaxLearningRate);
    public int HeldOut => HeldOutGiven ?? (Detect ? DetectLibrary.HeldOut : Classifier.HeldOut);
    public string Out => OutGiven ?? ModelName + ".safetensors";

    /// <summary>The classifier trainer's settings: the architecture's, with what the command line gave.</summary>
    public DemoTrainingOptions Settings() => Classifier with
    {
        Seed = Seed,
        Steps = Steps,
        BatchSize = BatchSize,
        MaxLearningRate = LearningRate,
        HeldOut = HeldOut,
    };
}

/// <summary>What <c>train-demo</c> trains: the classifier SceneNet or the detector SceneDet.</summary>
internal enum DemoTask
{
    Classify,
    Detect,
}
