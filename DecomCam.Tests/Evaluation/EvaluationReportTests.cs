using DecomCamNet.Evaluation.Runs;

namespace DecomCamNet.Tests.Evaluation;

/// <summary>The report's statistics say what a small sample means: clipped intervals, flagged bins, explained empty columns.</summary>
public class EvaluationReportTests
{
    private static EvaluationRow Row(int image, string method, float confidence, float drop, float pointing = float.NaN) =>
        new(image, $"img{image}", method, 0, confidence, drop, 0, 0, 0.5f, 0.2f, pointing, float.NaN, float.NaN);

    [Fact]
    public void AnIntervalThatWouldCrossTheMetricsRangeIsClipped()
    {
        float[] drops = [0, 0, 0, 40];
        var rows = drops.Select((d, i) => Row(i, "gradcam", 0.1f * (i + 1), d)).ToList();
        var report = new EvaluationReport(rows, ["gradcam"], bins: 2);
        var s = report.Summary("gradcam", 0);
        // mean 10, sd 20, half-width 1.96 * 20 / 2 = 19.6: mean - half = -9.6 < 0, the range of average drop
        Assert.Equal(10, s.Mean, 1e-9);
        Assert.Equal(19.6, s.HalfWidth, 1e-9);
        Assert.Equal((0.0, 29.6), (s.Lower, Math.Round(s.Upper, 9)));
        Assert.True(s.Clipped);
        string md = report.Markdown("4 images", "m");
        Assert.Contains("| gradcam | 10.000 [0.000, 29.600] |", md);
        Assert.Contains("Note: Only 4 images", md);
        Assert.Contains("Note: Intervals that would cross a metric's range are shown clipped", md);
        Assert.Contains("n=2", md);
        Assert.Contains("Note: 2 of 2 confidence bins hold fewer than 5 images", md);
        Assert.Contains("Note: road_combined is empty: ROAD was not run", md);
        Assert.Contains("Note: pointing_game is empty: no image has a mask of its predicted class.", md);
    }

    [Fact]
    public void ALargeSampleWithinRangeNeedsNoNotesButEmptyColumns()
    {
        var rows = Enumerable.Range(0, 40).Select(i => Row(i, "gradcam", i / 40f, 40 + i % 5, pointing: i % 2)).ToList();
        var report = new EvaluationReport(rows, ["gradcam"], bins: 4);
        var s = report.Summary("gradcam", 0);
        Assert.False(s.Clipped);
        Assert.Equal(s.Mean - s.HalfWidth, s.Lower, 1e-12);
        var notes = report.Notes();
        Assert.Equal(["road_combined is empty: ROAD was not run (EvaluationOptions.Road is off by default: about 1.7 s per image and method).",
            "energy_pointing_game is empty: no image has a mask of its predicted class."], notes.OrderByDescending(n => n.StartsWith("road", StringComparison.Ordinal)));
        Assert.Equal([10, 10, 10, 10], report.BinCounts);
    }
}

