namespace DecomCamNet.Cli;

/// <summary>
/// The files of a finished evaluation, from every image's rows (an unsharded run's, or the merged shards'): <c>results.md</c>
/// (means, 95% intervals and confidence bins computed over all rows), <c>rows.csv</c> and the charts.
/// </summary>
internal static class EvaluationResults
{
    /// <summary>The rows in the order the files list them: by method (as given), then by image.</summary>
    public static IReadOnlyList<EvaluationRow> Ordered(IEnumerable<EvaluationRow> rows, IReadOnlyList<string> methods) =>
        rows.OrderBy(r => IndexOf(methods, r.Method)).ThenBy(r => r.Image).ToList();

    /// <summary>Writes the results into <paramref name="folder"/> and the table to <paramref name="stdout"/>.</summary>
    public static void Write(IReadOnlyList<EvaluationRow> rows, EvaluationCurves curves, IReadOnlyList<string> methods, int bins,
        string description, string model, string folder, TextWriter stdout)
    {
        Directory.CreateDirectory(folder);
        var report = new EvaluationReport(Ordered(rows, methods), methods, bins);
        string table = report.Markdown(description, model);
        File.WriteAllText(Path.Combine(folder, "results.md"), table);
        report.WriteCsv(Path.Combine(folder, "rows.csv"));
        EvaluationCharts.Write(report, curves, folder);
        stdout.Write(table);
        stdout.WriteLine($"wrote {Path.Combine(folder, "results.md")}, rows.csv and the charts (*.png) in {folder}");
    }

    private static int IndexOf(IReadOnlyList<string> methods, string method)
    {
        for (int i = 0; i < methods.Count; i++) if (methods[i] == method) return i;
        return methods.Count;
    }
}
