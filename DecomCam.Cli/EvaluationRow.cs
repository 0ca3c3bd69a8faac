namespace DecomCamNet.Cli;

/// <summary>
/// One (image, method) of <c>evaluate</c>: the explained class, the model's confidence, and every metric (NaN where a
/// metric does not apply, e.g. the pointing games without a mask of the class).
/// </summary>
internal sealed record EvaluationRow(int Image, string Name, string Method, int Class, float Confidence, float AverageDrop,
    float IncreaseInConfidence, float AbsoluteDrop, float InsertionAuc, float DeletionAuc, float Pointing, float EnergyPointing, float RoadCombined)
{
    /// <summary>The metric columns: name, whether higher is better, and the value.</summary>
    public static readonly (string Name, bool HigherIsBetter, Func<EvaluationRow, float> Value)[] Metrics =
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
