using DecomCamNet.Evaluation.Scenes;
using DecomCamNet.Tests.Support;

namespace DecomCamNet.Tests.Reports;

/// <summary><c>decomcam report DIR</c> and <c>--report</c> on image sets and evaluations.</summary>
public sealed class ReportCliTests : CliRun
{
    /// <summary>Six generated scenes (no masks) and a cut-short file whose name has markup in it.</summary>
    private string SceneImages()
    {
        string dir = P("images");
        SceneExporter.Export(new SceneGenerator(3, new SceneOptions(Size: 64)), 6, dir);
        foreach (var mask in Directory.EnumerateFiles(dir, "*_mask.png")) File.Delete(mask);
        File.Delete(Path.Combine(dir, SceneExporter.ManifestName));
        File.WriteAllBytes(Path.Combine(dir, "cut <b>.png"), File.ReadAllBytes(Path.Combine(dir, "scene_00000.png"))[..60]);
        return dir;
    }

    [Fact]
    public void AnImageSetWithReportWritesAPageOfEveryImageAndReportRewritesIt()
    {
        string images = SceneImages();
        Assert.Equal(7, Directory.EnumerateFiles(images).Count());
        var (code, output, err) = Run("explain", "--input", images, "--out", P("out"), "--method", "gradcam", "--report");
        Assert.True(code == 101, $"{code}: {output}{err}");
        Assert.Contains($"report {P("out/report.html")}", output);
        string page = File.ReadAllText(P("out/report.html"));
        var rows = ReportPages.EmbeddedRows(page);
        Assert.Equal(7, rows.GetArrayLength());
        var explained = rows.EnumerateArray().Where(r => r.GetProperty("error").ValueKind == System.Text.Json.JsonValueKind.Null).ToList();
        Assert.Equal(6, explained.Count);
        foreach (var row in explained)
            Assert.True(File.Exists(P("out/" + row.GetProperty("overlay").GetString())), row.ToString());
        Assert.Contains("7 images: 6 explained, 1 failed.", page);
        Assert.DoesNotContain("<b>", page);

        File.Delete(P("out/report.html"));
        var again = Run("report", P("out"));
        Assert.True(again.Code == 0, again.Err);
        Assert.Equal($"wrote {P("out/report.html")}", again.Out.Trim());
        Assert.Equal(page, File.ReadAllText(P("out/report.html")));
    }

    [Fact]
    public void ReportOfAFolderWithoutResultsSaysWhatWritesThem()
    {
        Directory.CreateDirectory(P("empty"));
        var (code, _, err) = Run("report", P("empty"));
        Assert.Equal(2, code);
        Assert.Contains("holds neither an image set's manifest (manifest*.jsonl, written by decomcam explain --input ... --out DIR) " +
            "nor an evaluation's results.md (written by decomcam evaluate --out DIR)", err);
        var absent = Run("report", P("absent"));
        Assert.Equal(2, absent.Code);
        Assert.Contains("is not a folder", absent.Err);
        var set = Run("explain", "--report");
        Assert.Equal(2, set.Code);
        Assert.Contains("--report goes with an image set", set.Err);
        var shard = Run("evaluate", "--report", "--shard", "0/2");
        Assert.Equal(2, shard.Code);
        Assert.Contains("--report shows a whole evaluation", shard.Err);
    }

    [Fact]
    public void AnEvaluationWithReportWritesItsTablesAndCharts()
    {
        var (code, output, err) = Run("evaluate", "--count", "4", "--methods", "gradcam", "--steps", "4", "--bins", "2", "--out", P("eval"), "--report");
        Assert.True(code == 0, err);
        Assert.Contains($"wrote {P("eval/report.html")}", output);
        string page = File.ReadAllText(P("eval/report.html"));
        Assert.Equal(2, page.Split("<table>").Length - 1);
        Assert.Contains("<tr><td>gradcam</td><td class=\"num\">", page);
        foreach (var chart in Directory.EnumerateFiles(P("eval"), "*.png"))
            Assert.Contains($"<img src=\"{Path.GetFileName(chart)}\"", page);
        Assert.Contains("<img src=\"insertion_auc_by_confidence.png\"", page);
    }
}
