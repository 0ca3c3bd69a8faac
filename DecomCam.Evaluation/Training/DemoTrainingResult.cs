namespace DecomCamNet.Evaluation.Training;

/// <summary>What <see cref="DemoTrainer"/> measured on held-out scenes.</summary>
/// <param name="Scenes">Held-out scenes.</param>
/// <param name="TopClassAccuracy">Share of scenes whose highest logit is a class present in the scene (what
/// <c>evaluate</c> explains: the predicted class).</param>
/// <param name="ExactMatch">Share of scenes whose set of positive logits equals the set of classes present.</param>
/// <param name="LabelAccuracy">Share of (scene, class) pairs decided right by the sign of the logit.</param>
/// <param name="ClassRecall">Per class: share of its scenes in which its logit is positive.</param>
/// <param name="ClassPrecision">Per class: share of positive logits whose class is present (NaN when never predicted).</param>
/// <param name="FinalLoss">Mean training loss (binary cross-entropy) over the last 100 steps.</param>
public sealed record DemoHeldOutReport(
    int Scenes,
    double TopClassAccuracy,
    double ExactMatch,
    double LabelAccuracy,
    IReadOnlyList<double> ClassRecall,
    IReadOnlyList<double> ClassPrecision,
    double FinalLoss);

/// <summary>Progress of <see cref="DemoTrainer.Train"/>.</summary>
/// <param name="Step">Steps done.</param>
/// <param name="Steps">Steps in all.</param>
/// <param name="Loss">Mean training loss since the last report.</param>
public readonly record struct DemoTrainingProgress(int Step, int Steps, double Loss);
