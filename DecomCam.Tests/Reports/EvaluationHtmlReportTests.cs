using DecomCamNet.Evaluation.Runs;

namespace DecomCamNet.Tests.Reports;

public sealed class EvaluationHtmlReportTests
{
    private const string Results = """
        Faithfulness on 4 images <x>, model m; target: each image's predicted class. Mean ± 95% interval.

        | method | average_drop | insertion_auc |
        |---|---:|---:|
        | gradcam | 12.000 ± 1.000 | 0.500 ± 0.010 |
        | a<b | - | 0.400 ± 0.020 |

        Per confidence bin (2 equal-count bins of the model's top softmax probability): insertion AUC and average drop.

        | method | [0.10, 0.50] | [0.50, 0.90] |
        |---|---:|---:|
        | gradcam | 0.450 / 11.0 | 0.550 / 13.0 |
        """;

    [Fact]
    public void TheTablesBecomeHtmlTablesAndTheChartsImagesInTheReportsOrder()
    {
        string page = EvaluationHtmlReport.Build(Results, ["zeta.png", "insertion_curves.png", "deletion_auc.png", "average_drop.png"]);
        Assert.Contains("<p>Faithfulness on 4 images &lt;x&gt;, model m; target: each image&#39;s predicted class. Mean ± 95% interval.</p>", page);
        Assert.Contains("<tr><th>method</th><th>average_drop</th><th>insertion_auc</th></tr>\n" +
            "<tr><td>gradcam</td><td class=\"num\">12.000 ± 1.000</td><td class=\"num\">0.500 ± 0.010</td></tr>\n" +
            "<tr><td>a&lt;b</td><td class=\"num\">-</td><td class=\"num\">0.400 ± 0.020</td></tr>\n</table>", page);
        Assert.Contains("<tr><th>method</th><th>[0.10, 0.50]</th><th>[0.50, 0.90]</th></tr>\n" +
            "<tr><td>gradcam</td><td class=\"num\">0.450 / 11.0</td><td class=\"num\">0.550 / 13.0</td></tr>", page);
        Assert.Equal(2, page.Split("<table>").Length - 1);
        Assert.DoesNotContain("---", page);
        int Position(string chart) => page.IndexOf($"<img src=\"{chart}\"", StringComparison.Ordinal);
        Assert.True(Position("average_drop.png") >= 0 && Position("average_drop.png") < Position("deletion_auc.png")
            && Position("deletion_auc.png") < Position("insertion_curves.png") && Position("insertion_curves.png") < Position("zeta.png"), page);
        Assert.Contains("<a href=\"rows.csv\">rows.csv</a>", page);
        Assert.DoesNotContain("<script", page);
    }

    [Fact]
    public void AFolderWithoutResultsIsRefusedNamingTheFile()
    {
        string dir = Directory.CreateTempSubdirectory("decomcam-report-").FullName;
        try
        {
            Assert.False(EvaluationHtmlReport.IsEvaluationFolder(dir));
            Assert.Contains("results.md", Assert.Throws<FileNotFoundException>(() => EvaluationHtmlReport.Write(dir)).Message);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
