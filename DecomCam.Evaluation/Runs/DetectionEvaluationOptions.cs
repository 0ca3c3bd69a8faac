using DecomCamNet.Detection;

namespace DecomCamNet.Evaluation.Runs;

/// <summary>What <see cref="DetectionEvaluation.Run"/> evaluates and how; the defaults are those of the command line.</summary>
public sealed record DetectionEvaluationOptions
{
    /// <summary>The methods (names of <see cref="CamMethods"/>), in the order the report lists them.</summary>
    public IReadOnlyList<string> Methods { get; init; } = ["gradcam", "gradcam++", "eigencam", "scorecam", "decomcam"];

    /// <summary>The target layers the methods explain (at least one).</summary>
    public IReadOnlyList<CamLayer> Layers { get; init; } = [];

    /// <summary>The model's name, as the report gives it.</summary>
    public string ModelName { get; init; } = "model";

    /// <summary>How many held-out scenes to evaluate (at least 1).</summary>
    public int Count { get; init; } = 100;

    /// <summary>The scene seed (the one the detector was trained with, for held-out scenes).</summary>
    public int Seed { get; init; } = 1;

    /// <summary>The layout of the detector's output.</summary>
    public DetectionLayout Layout { get; init; } = DetectionLayout.YoloV8;

    /// <summary>Which detections are explained: those above the confidence threshold, after class-wise NMS, at most the maximum per scene.</summary>
    public DetectionOptions Detection { get; init; } = new() { ConfidenceThreshold = 0.25f, MaxDetections = 10 };

    /// <summary>Equal-count bins of the detections' confidence for the per-bin report (at least 1).</summary>
    public int Bins { get; init; } = 3;
}
