namespace DecomCamNet.Evaluation.Runs;

/// <summary>
/// One (image, method) of an evaluation: the image's position in the set and its name, the explained class, the model's confidence, and every metric (NaN where a
/// metric does not apply, e.g. the pointing games without a mask of the class).
/// </summary>
public sealed record EvaluationRow(int Image, string Name, string Method, int Class, float Confidence, float AverageDrop,
    float IncreaseInConfidence, float AbsoluteDrop, float InsertionAuc, float DeletionAuc, float Pointing, float EnergyPointing, float RoadCombined)
{
    /// <summary>The metric columns, with their ranges and why each can be empty.</summary>
    public static IReadOnlyList<EvaluationMetric> Metrics { get; } = new EvaluationMetric[]
    {
        new("average_drop", false, 0, 100, "no image was scored", r => r.AverageDrop),
        new("increase_in_confidence", true, 0, 100, "no image was scored", r => r.IncreaseInConfidence),
        new("insertion_auc", true, 0, 1, "no image was scored", r => r.InsertionAuc),
        new("deletion_auc", false, 0, 1, "no image was scored", r => r.DeletionAuc),
        new("pointing_game", true, 0, 1, "no image has a mask of its predicted class", r => r.Pointing),
        new("energy_pointing_game", true, 0, 1, "no image has a mask of its predicted class", r => r.EnergyPointing),
        new("road_combined", true, -0.5, 0.5, "ROAD was not run (EvaluationOptions.Road is off by default: about 1.7 s per image and method)", r => r.RoadCombined),
    };
}
