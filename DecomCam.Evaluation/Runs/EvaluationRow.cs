namespace DecomCamNet.Evaluation.Runs;

/// <summary>
/// One (image, method) of an evaluation: the image's position in the set and its name, the explained class, the model's confidence, and every metric (NaN where a
/// metric does not apply, e.g. the pointing games without a mask of the class).
/// </summary>
public sealed record EvaluationRow(int Image, string Name, string Method, int Class, float Confidence, float AverageDrop,
    float IncreaseInConfidence, float AbsoluteDrop, float InsertionAuc, float DeletionAuc, float Pointing, float EnergyPointing, float RoadCombined)
{
    /// <summary>The metric columns: name, whether higher is better, and the value.</summary>
    public static IReadOnlyList<(string Name, bool HigherIsBetter, Func<EvaluationRow, float> Value)> Metrics { get; } = new (string, bool, Func<EvaluationRow, float>)[]
    {
        ("average_drop", false, r => r.AverageDrop),
        ("increase_in_confidence", true, r => r.IncreaseInConfidence),
        ("insertion_auc", true, r => r.InsertionAuc),
        ("deletion_auc", false, r => r.DeletionAuc),
        ("pointing_game", true, r => r.Pointing),
        ("energy_pointing_game", true, r => r.EnergyPointing),
        ("road_combined", true, r => r.RoadCombined),
    };
}
