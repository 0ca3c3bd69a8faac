namespace DecomCamNet.Evaluation.Training;

/// <summary>What <see cref="DetectionTrainer"/> measured on held-out scenes.</summary>
/// <param name="Scenes">Held-out scenes.</param>
/// <param name="Map50">Mean average precision at IoU 0.5 over the classes (<see cref="Metrics.MeanAveragePrecision"/>).</param>
/// <param name="ClassAp50">Per class: its average precision at IoU 0.5 (NaN when no held-out scene has it).</param>
/// <param name="FinalLoss">Mean training loss over the last 100 steps (NaN when only measured).</param>
public sealed record DetectionHeldOutReport(int Scenes, double Map50, IReadOnlyList<double> ClassAp50, double FinalLoss);
