using System.Text;
using DecomCamNet.Batches.Reports;

namespace DecomCamNet.Evaluation.Runs;

/// <summary>
/// The report page of an evaluation's folder (<see cref="EvaluationResults.Write"/>): the results table and the per-bin
/// table of <c>results.md</c>, a link to <c>rows.csv</c>, and the charts, by relative path.
/// </summary>
public static class EvaluationHtmlReport
{
    /// <summary>The table file an evaluation's folder holds: <c>results.md</c>.</summary>
    public const string ResultsFile = "results.md";

    /// <summary>Whether <paramref name="folder"/> holds an evaluation's <see cref="ResultsFile"/>.</summary>
    public static bool IsEvaluationFolder(string folder) => File.Exists(Path.Combine(folder, ResultsFile));

    /// <summary>Writes the page of the evaluation in <paramref name="folder"/> as <see cref="HtmlPage.FileName"/> there; returns its path.</summary>
    /// <exception cref="FileNotFoundException"><paramref name="folder"/> holds no <see cref="ResultsFile"/>.</exception>
    public static string Write(string folder)
    {
        string results = Path.Combine(folder, ResultsFile);
        if (!File.Exists(results)) throw new FileNotFoundException($"{folder} holds no evaluation results ({ResultsFile}).", results);
        var charts = Directory.EnumerateFiles(folder, "*.png").Select(Path.GetFileName).OfType<string>().ToArray();
        return HtmlPage.Write(folder, Build(File.ReadAllText(results), charts, File.Exists(Path.Combine(folder, "rows.csv"))));
    }

    /// <summary>
    /// The page of <paramref name="resultsMarkdown"/> (the text of <c>results.md</c>: paragraphs and tables) with the
    /// charts <paramref name="charts"/> (file names beside the page), the metrics' bars first in the table's order, then the
    /// curves, then any others by name.
    /// </summary>
    public static string Build(string resultsMarkdown, IReadOnlyCollection<string> charts, bool linkRows = true)
    {
        ArgumentNullException.ThrowIfNull(resultsMarkdown);
        ArgumentNullException.ThrowIfNull(charts);
        var body = new StringBuilder("<h1>Evaluation</h1>\n");
        body.Append(MarkdownTables.ToHtml(resultsMarkdown));
        if (linkRows) body.Append("<p>Every image and method: <a href=\"rows.csv\">rows.csv</a>.</p>\n");
        if (charts.Count > 0) body.Append("<h2>Charts</h2>\n");
        foreach (var chart in ChartOrder(charts))
            body.Append("<figure><img src=\"").Append(HtmlPage.RelativeUrl(chart)).Append("\" alt=\"").Append(HtmlPage.Escape(chart))
                .Append("\" loading=\"lazy\"><figcaption>").Append(HtmlPage.Escape(chart)).Append("</figcaption></figure>\n");
        return HtmlPage.Document("decomcam report: evaluation", body.ToString());
    }

    private static IEnumerable<string> ChartOrder(IReadOnlyCollection<string> charts)
    {
        string[] known = [.. EvaluationRow.Metrics.Select(m => m.Name + ".png"), "deletion_curves.png", "insertion_curves.png", "insertion_auc_by_confidence.png"];
        return known.Where(charts.Contains).Concat(charts.Except(known).Order(StringComparer.Ordinal));
    }
}
