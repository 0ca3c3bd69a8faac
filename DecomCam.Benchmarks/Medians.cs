namespace DecomCamNet.Benchmarks;

/// <summary>The median the hand-timed benchmark commands report (the mean of the middle two for an even count).</summary>
internal static class Medians
{
    public static double Of(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
