namespace DecomCamNet.Cli;

/// <summary>The options of <c>decomcam train-demo</c>.</summary>
internal sealed record TrainDemoOptions
{
    public int Seed { get; init; } = 1;
    public int Steps { get; init; } = new Evaluation.DemoTrainingOptions().Steps;
    public int BatchSize { get; init; } = new Evaluation.DemoTrainingOptions().BatchSize;
    public double LearningRate { get; init; } = new Evaluation.DemoTrainingOptions().MaxLearningRate;
    public int HeldOut { get; init; } = new Evaluation.DemoTrainingOptions().HeldOut;
    public string Device { get; init; } = "cpu";
    public int? Threads { get; init; }
    public string Out { get; init; } = "scenenet.safetensors";
}
