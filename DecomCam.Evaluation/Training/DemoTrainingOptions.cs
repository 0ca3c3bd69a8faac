using System.Globalization;
using DecomCamNet.Evaluation.Scenes;

namespace DecomCamNet.Evaluation.Training;

/// <summary>How <see cref="DemoTrainer"/> trains a bundled demo model: the defaults are the <see cref="Models.SceneNet"/>'s
/// settings, <see cref="Vit"/> the scene ViT's (<see cref="For"/> picks by architecture).</summary>
/// <param name="Seed">Seeds the weight initialisation and picks the scene stream (training scenes are indices from
/// <see cref="DemoTrainer.TrainIndexBase"/>, held-out ones from <see cref="DemoTrainer.HeldOutIndexBase"/>, so neither
/// meets the scenes <c>decomcam evaluate</c> uses, indices 0 and up).</param>
/// <param name="Steps">Optimiser steps; every step sees <paramref name="BatchSize"/> fresh scenes (no scene twice).</param>
/// <param name="BatchSize">Scenes per step.</param>
/// <param name="MaxLearningRate">Peak of the one-cycle schedule (Adam with decoupled weight decay): the rate rises
/// from a 25th of it along a cosine over the first 30% of the steps (warmup), then falls along a cosine to near zero.</param>
/// <param name="WeightDecay">AdamW weight decay.</param>
/// <param name="HeldOut">Held-out scenes for the accuracy report.</param>
/// <param name="EasyFraction">Share of each batch drawn from <see cref="SceneOptions.Easy"/> instead of the default
/// scenes (the held-out report uses default scenes only).</param>
/// <param name="Architecture">The model to train.</param>
public sealed record DemoTrainingOptions(
    int Seed = 1,
    int Steps = 14000,
    int BatchSize = 32,
    double MaxLearningRate = 2e-3,
    double WeightDecay = 1e-4,
    int HeldOut = 1000,
    double EasyFraction = 0.25,
    DemoArchitecture Architecture = DemoArchitecture.SceneNet)
{
    /// <summary>The settings of the bundled scene ViT (<c>scenevit</c>): <see cref="DemoArchitecture.Vit"/>, AdamW with
    /// weight decay 0.05 and a peak learning rate of 1e-3, 20,000 steps of 16 scenes.</summary>
    public static DemoTrainingOptions Vit { get; } = new(Steps: 20000, BatchSize: 16, MaxLearningRate: 1e-3, WeightDecay: 0.05, Architecture: DemoArchitecture.Vit);

    /// <summary>The bundled model's settings for <paramref name="architecture"/>: the defaults, or <see cref="Vit"/>.</summary>
    /// <param name="architecture">The model to train.</param>
    public static DemoTrainingOptions For(DemoArchitecture architecture) => architecture switch
    {
        DemoArchitecture.SceneNet => new DemoTrainingOptions(),
        DemoArchitecture.Vit => Vit,
        _ => throw new ArgumentOutOfRangeException(nameof(architecture), architecture, "Unknown demo architecture."),
    };

    /// <summary>Throws when an option is out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The message names the option and its range.</exception>
    public void Validate()
    {
        Check(nameof(Steps), Steps, 1, 1_000_000);
        Check(nameof(BatchSize), BatchSize, 1, 4096);
        Check(nameof(HeldOut), HeldOut, 1, 1_000_000);
        if (!(MaxLearningRate > 0 && MaxLearningRate <= 1))
            throw new ArgumentOutOfRangeException(nameof(MaxLearningRate), MaxLearningRate, "DemoTrainingOptions.MaxLearningRate must be in (0, 1].");
        if (!(EasyFraction >= 0 && EasyFraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(EasyFraction), EasyFraction, "DemoTrainingOptions.EasyFraction must be in [0, 1].");
        if (!(WeightDecay >= 0 && WeightDecay <= 1))
            throw new ArgumentOutOfRangeException(nameof(WeightDecay), WeightDecay, "DemoTrainingOptions.WeightDecay must be in [0, 1].");
        if (!Enum.IsDefined(Architecture))
            throw new ArgumentOutOfRangeException(nameof(Architecture), Architecture, "DemoTrainingOptions.Architecture is not a DemoArchitecture.");
        if ((long)Steps * BatchSize > DemoTrainer.HeldOutIndexBase - DemoTrainer.TrainIndexBase)
            throw new ArgumentOutOfRangeException(nameof(Steps), Steps, "DemoTrainingOptions: Steps x BatchSize must stay under 10,000,000 scenes.");
    }

    private static void Check(string name, int value, int lo, int hi)
    {
        if (value < lo || value > hi)
            throw new ArgumentOutOfRangeException(name, value, string.Create(CultureInfo.InvariantCulture, $"DemoTrainingOptions.{name} must be from {lo} to {hi}; got {value}."));
    }
}
