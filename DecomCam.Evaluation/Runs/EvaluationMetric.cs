namespace DecomCamNet.Evaluation.Runs;

/// <summary>One metric column of an evaluation.</summary>
/// <param name="Name">The column's name (<c>average_drop</c>, ...).</param>
/// <param name="HigherIsBetter">Whether a higher value means a more faithful map.</param>
/// <param name="Min">The smallest value the metric can take (intervals are clipped to [Min, Max]).</param>
/// <param name="Max">The largest value the metric can take.</param>
/// <param name="WhenEmpty">Why the column can be empty, said in the report when it is.</param>
/// <param name="Value">The metric of one row (NaN where it does not apply).</param>
public sealed record EvaluationMetric(string Name, bool HigherIsBetter, double Min, double Max, string WhenEmpty, Func<EvaluationRow, float> Value);
