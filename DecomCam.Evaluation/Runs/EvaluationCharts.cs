using ScottPlot;

namespace DecomCamNet.Evaluation.Runs;

/// <summary>An evaluation's charts (ScottPlot 5, PNG): a bar chart per metric, the mean deletion and insertion curves, and the per-bin report.</summary>
internal static class EvaluationCharts
{
    /// <summary>Writes the charts of <paramref name="report"/> and <paramref name="curves"/> into <paramref name="folder"/>.</summary>
    public static void Write(EvaluationReport report, EvaluationCurves curves, string folder)
    {
        for (int k = 0; k < EvaluationRow.Metrics.Count; k++)
            if (report.Methods.Any(m => report.Summary(m, k).Count > 0)) Bars(report, k, Path.Combine(folder, $"{EvaluationRow.Metrics[k].Name}.png"));
        Curves(report, curves, deletion: true, Path.Combine(folder, "deletion_curves.png"));
        Curves(report, curves, deletion: false, Path.Combine(folder, "insertion_curves.png"));
        PerBin(report, Path.Combine(folder, "insertion_auc_by_confidence.png"));
    }

    private static void Bars(EvaluationReport report, int metric, string path)
    {
        var (name, higherIsBetter) = (EvaluationRow.Metrics[metric].Name, EvaluationRow.Metrics[metric].HigherIsBetter);
        var plot = new Plot();
        for (int m = 0; m < report.Methods.Count; m++)
        {
            var summary = report.Summary(report.Methods[m], metric);
            if (double.IsNaN(summary.Mean)) continue;
            plot.Add.Bar(new Bar { Position = m, Value = summary.Mean, FillColor = plot.Add.Palette.GetColor(m) });
            // The 95% interval clipped to the metric's range, as in results.md (a bar's own error is symmetric).
            var interval = plot.Add.Line(m, summary.Lower, m, summary.Upper);
            interval.Color = Colors.Black;
            interval.LineWidth = 2;
        }
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            Enumerable.Range(0, report.Methods.Count).Select(i => (double)i).ToArray(), report.Methods.ToArray());
        plot.Title($"{name} ({(higherIsBetter ? "higher" : "lower")} is better), mean and 95% interval within the metric's range");
        plot.SavePng(path, 800, 450);
    }

    private static void Curves(EvaluationReport report, EvaluationCurves curves, bool deletion, string path)
    {
        var plot = new Plot();
        var fractions = Enumerable.Range(0, curves.Steps + 1).Select(k => (double)k / curves.Steps).ToArray();
        foreach (var method in report.Methods)
        {
            var line = plot.Add.Scatter(fractions, curves.Mean(method, deletion));
            line.LegendText = method;
            line.MarkerSize = 0;
        }
        plot.Title(deletion ? "Deletion: most salient pixels removed first (lower is better)"
                            : "Insertion: most salient pixels restored first (higher is better)");
        plot.XLabel("fraction of pixels");
        plot.YLabel("softmax probability of the target");
        plot.ShowLegend();
        plot.SavePng(path, 800, 450);
    }

    private static void PerBin(EvaluationReport report, string path)
    {
        var plot = new Plot();
        var centres = report.BinRanges.Select(r => (double)(r.Lower + r.Upper) / 2).ToArray();
        foreach (var method in report.Methods)
        {
            var line = plot.Add.Scatter(centres, Enumerable.Range(0, report.Bins).Select(b => report.Summary(method, 2, b).Mean).ToArray());
            line.LegendText = method;
        }
        plot.Title("Insertion AUC per confidence bin (equal-count bins of the top softmax probability)");
        plot.XLabel("model confidence (bin centre)");
        plot.YLabel("insertion AUC");
        plot.ShowLegend();
        plot.SavePng(path, 800, 450);
    }
}
