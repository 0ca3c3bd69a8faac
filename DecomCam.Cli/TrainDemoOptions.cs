namespace DecomCamNet.Cli;

/// <summary>The options of <c>decomcam train-demo</c>.</summary>
internal sealed record TrainDemoOptions
{
    private static readonly Evaluation.Training.DemoTrainingOptions Library = new();

    public int Seed { get; init; } = Library.Seed;
    public int Steps { get; init; } = Library.Steps;
    public int BatchSize { get; init; } = Library.BatchSize;
    public double LearningRate { get; init; } = Library.MaxLearningRate;
    public int HeldOut { get; init; } = Library.HeldOut;
    public string Device { get; init; } = CheckedOptions.DefaultDevice;
    public int? Threads { get; init; }
    public Verbosity Verbosity { get; init; } = new();
    public string Out { get; init; } = "scenenet.safetensors";
}
