using System.Globalization;

namespace DecomCamNet.Evaluation.Training;

/// <summary>How <see cref="DetectionTrainer"/> trains the demo detector <see cref="Models.SceneDet"/>.</summary>
/// <param name="Seed">Seeds the weight initialisation and picks the scene stream (the indices of <see cref="DemoTrainer"/>:
/// training from <see cref="DemoTrainer.TrainIndexBase"/>, held out from <see cref="DemoTrainer.HeldOutIndexBase"/>).</param>
/// <param name="Steps">Optimiser steps; every step sees <paramref name="BatchSize"/> fresh scenes.</param>
/// <param name="BatchSize">Scenes per step.</param>
/// <param name="MaxLearningRate">Peak of the one-cycle schedule (AdamW).</param>
/// <param name="WeightDecay">AdamW weight decay.</param>
/// <param name="HeldOut">Held-out scenes for the mAP report.</param>
/// <param name="EasyFraction">Share of each batch drawn from <see cref="Scenes.SceneOptions.Easy"/> scenes.</param>
public sealed record DetectionTrainingOptions(
    int Seed = 1,
    int Steps = 5000,
    int BatchSize = 32,
    double MaxLearningRate = 3e-3,
    double WeightDecay = 1e-4,
    int HeldOut = 500,
    double EasyFraction = 0.125)
{
    /// <summary>Throws when an option is out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The message names the option and its range.</exception>
    public void Validate()
    {
        Check(nameof(Steps), Steps, 1, 1_000_000);
        Check(nameof(BatchSize), BatchSize, 1, 4096);
        Check(nameof(HeldOut), HeldOut, 1, 1_000_000);
        if (!(MaxLearningRate > 0 && MaxLearningRate <= 1))
            throw new ArgumentOutOfRangeException(nameof(MaxLearningRate), MaxLearningRate, "DetectionTrainingOptions.MaxLearningRate must be in (0, 1].");
        if (!(EasyFraction >= 0 && EasyFraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(EasyFraction), EasyFraction, "DetectionTrainingOptions.EasyFraction must be in [0, 1].");
        if (!(WeightDecay >= 0 && WeightDecay <= 1))
            throw new ArgumentOutOfRangeException(nameof(WeightDecay), WeightDecay, "DetectionTrainingOptions.WeightDecay must be in [0, 1].");
        if ((long)Steps * BatchSize > DemoTrainer.HeldOutIndexBase - DemoTrainer.TrainIndexBase)
            throw new ArgumentOutOfRangeException(nameof(Steps), Steps, "DetectionTrainingOptions: Steps x BatchSize must stay under 10,000,000 scenes.");
    }

    private static void Check(string name, int value, int lo, int hi)
    {
        if (value < lo || value > hi)
            throw new ArgumentOutOfRangeException(name, value, string.Create(CultureInfo.InvariantCulture, $"DetectionTrainingOptions.{name} must be from {lo} to {hi}; got {value}."));
    }
}
