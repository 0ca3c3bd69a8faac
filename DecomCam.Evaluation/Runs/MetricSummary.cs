namespace DecomCamNet.Evaluation.Runs;

/// <summary>
/// A metric over images: the mean, the half-width of its 95% interval (1.96 standard errors, a normal approximation) and
/// the interval itself clipped to the metric's range, so that a small or skewed sample never reports values the metric
/// cannot take.
/// </summary>
/// <param name="Mean">The mean; NaN when no image has the metric.</param>
/// <param name="HalfWidth">1.96 standard errors (0 for one image).</param>
/// <param name="Count">The images that have the metric.</param>
/// <param name="Lower">The interval's lower end, at least the metric's minimum.</param>
/// <param name="Upper">The interval's upper end, at most the metric's maximum.</param>
public sealed record MetricSummary(double Mean, double HalfWidth, int Count, double Lower, double Upper)
{
    /// <summary>Whether the range cut the interval (mean ± half-width would cross the metric's range).</summary>
    public bool Clipped => Mean - HalfWidth < Lower || Mean + HalfWidth > Upper;
}
