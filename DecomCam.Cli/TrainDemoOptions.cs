using DecomCamNet.Evaluation.Training;

namespace DecomCamNet.Cli;

/// <summary>The options of <c>decomcam train-demo</c>; <see cref="Steps"/>, <see cref="BatchSize"/> and <see cref="LearningRate"/> default to
/// the architecture's (<see cref="DemoTrainingOptions.For"/>).</summary>
internal sealed record TrainDemoOptions
{
    private static readonly DemoTrainingOptions Library = new();

    public DemoArchitecture Architecture { get; init; } = Library.Architecture;
    public int Seed { get; init; } = Library.Seed;
    public int? Steps { get; init; }
    public int? BatchSize { get; init; }
    public double? LearningRate { get; init; }
    public int HeldOut { get; init; } = Library.HeldOut;
    public string Device { get; init; } = CheckedOptions.DefaultDevice;
    public int? Threads { get; init; }
    public Verbosity Verbosity { get; init; } = new();

    /// <summary>The weights file; null means the architecture's zoo name (<c>scenenet.safetensors</c>, <c>scenevit.safetensors</c>).</summary>
    public string? Out { get; init; }

    /// <summary>The zoo name of <see cref="Architecture"/>.</summary>
    public string ModelName => Architecture == DemoArchitecture.Vit ? BundledAssets.DemoVit : BundledAssets.DemoModel;

    /// <summary>The library's settings: the architecture's, with what the command line gave.</summary>
    public DemoTrainingOptions Settings()
    {
        var defaults = DemoTrainingOptions.For(Architecture);
        return defaults with
        {
            Seed = Seed,
            Steps = Steps ?? defaults.Steps,
            BatchSize = BatchSize ?? defaults.BatchSize,
            MaxLearningRate = LearningRate ?? defaults.MaxLearningRate,
            HeldOut = HeldOut,
        };
    }
}
