using DecomCamNet.Batches;
using DecomCamNet.Batches.Reports;

namespace DecomCamNet.Tests.Reports;

public sealed class ImageSetReportTests
{
    [Fact]
    public void EveryRowTravelsToTheScriptWithItsFilesSortedIntoOverlayGridAndLinks()
    {
        var rows = ReportPages.FakeRows(10);
        string page = ImageSetReport.Build(rows, "set", pageSize: 4);
        var embedded = ReportPages.EmbeddedRows(page);
        Assert.Equal(10, embedded.GetArrayLength());
        var first = embedded[0];
        Assert.Equal(("img0000.png", "/data/img0000.png", 0L, 0f), (first.GetProperty("name").GetString(), first.GetProperty("input").GetString(),
            first.GetProperty("class").GetInt64(), first.GetProperty("score").GetSingle()));
        Assert.Equal("img0000_0a.png", first.GetProperty("overlay").GetString());
        Assert.Equal(["img0000_0a_ossm.png"], first.GetProperty("images").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["img0000_0a.npy"], first.GetProperty("files").EnumerateArray().Select(e => e.GetString()));
        var failed = embedded[3];
        Assert.Equal("cannot read <b>3</b> & more", failed.GetProperty("error").GetString());
        Assert.Equal("bad <img src=x onerror=alert(3)>.png", failed.GetProperty("name").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, failed.GetProperty("overlay").ValueKind);

        Assert.Contains("data-page-size=\"4\"", page);
        Assert.Contains("10 images: 9 explained, 1 failed.", page);
        // The class filter: classes 0, 1, 2 with their counts, and "none" for the failure.
        Assert.Contains("<option value=\"0\">0 (3)</option><option value=\"1\">1 (3)</option><option value=\"2\">2 (3)</option><option value=\"none\">none (1)</option>", page);
        Assert.Contains("<option value=\"failed\">failed (1)</option>", page);
        Assert.Contains("<tr><td>method</td><td>gradcam</td></tr>", page);
        Assert.Contains("<tr><td>target</td><td>each image&#39;s top class</td></tr>", page);
    }

    [Fact]
    public void NothingFromTheManifestReachesThePageAsMarkup()
    {
        string page = ImageSetReport.Build(ReportPages.FakeRows(10), "<i>set</i>");
        Assert.DoesNotContain("<img src=x", page);
        Assert.DoesNotContain("<b>3</b>", page);
        Assert.DoesNotContain("<i>set</i>", page);
        Assert.Contains("<h1>Image set &lt;i&gt;set&lt;/i&gt;</h1>", page);
        Assert.Equal(2, page.Split("<script").Length - 1); // the rows (data) and the gallery script: nothing else runs
        Assert.DoesNotContain("innerHTML", page);
    }

    [Fact]
    public void AFolderIsReadFromItsMergedManifestElseFromItsShardsLatestRows()
    {
        string dir = Directory.CreateTempSubdirectory("decomcam-report-").FullName;
        try
        {
            Assert.False(ImageSetReport.IsImageSetFolder(dir));
            Assert.Throws<FileNotFoundException>(() => ImageSetReport.Write(dir));
            var rows = ReportPages.FakeRows(6);
            var retried = rows[3] with { Error = null, Class = 1, Score = 0.5f }; // the failure, fixed by a resume
            Manifest.Write(Path.Combine(dir, "manifest.shard-0-of-2.jsonl"), [rows[0], rows[2], rows[4]]);
            Manifest.Write(Path.Combine(dir, "manifest.shard-1-of-2.jsonl"), [rows[1], rows[3], rows[5], retried]);
            Assert.True(ImageSetReport.IsImageSetFolder(dir));
            var read = ImageSetReport.Rows(dir);
            Assert.Equal(6, read.Count);
            Assert.Null(Assert.Single(read, r => r.Input == rows[3].Input).Error);

            Manifest.Write(Path.Combine(dir, "manifest.jsonl"), rows.Take(2));
            Assert.Equal(2, ImageSetReport.Rows(dir).Count); // a merged manifest is the set's

            string path = ImageSetReport.Write(dir);
            Assert.Equal(Path.Combine(dir, "report.html"), path);
            Assert.Equal(2, ReportPages.EmbeddedRows(File.ReadAllText(path)).GetArrayLength());
            Assert.Empty(Directory.EnumerateFiles(dir, "*.tmp"));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void ADetectorsSetCountsImagesNotRowsAndEachBoxCardSaysItsBox()
    {
        ManifestRow Box(string input, int k, int n) => new(input, "ab", "scenedet", "gradcam", "block5", "each detection", 2, 1.9f, 0.01,
            [$"x_det{k}.npy", $"x_det{k}.png"], null, Detection: k, Detections: n, Box: [10 + k, 20, 50, 60.5f], Label: "triangle", DetectionScore: 0.97f);
        var rows = new List<ManifestRow>
        {
            Box("/s/a.png", 0, 2), Box("/s/a.png", 1, 2),
            new("/s/blank.png", "ab", "scenedet", "gradcam", "block5", "each detection", null, null, 0.01, [], null, Detections: 0),
            new("/s/bad.png", "", "scenedet", "gradcam", "block5", "each detection", null, null, 0, [], "truncated"),
        };
        string page = ImageSetReport.Build(rows, "scenes");
        Assert.Contains("3 images: 2 explained, 1 failed. 4 rows, one per box; 1 image without detections.", page);
        var embedded = ReportPages.EmbeddedRows(page);
        Assert.Equal("(11,20)-(50,60.5) triangle 0.97", embedded[1].GetProperty("box").GetString());
        Assert.Equal("x_det1.png", embedded[1].GetProperty("overlay").GetString());
        Assert.Equal(("no detection", System.Text.Json.JsonValueKind.Null), (embedded[2].GetProperty("target").GetString(), embedded[2].GetProperty("box").ValueKind));
    }

    [Fact]
    public void TwoThousandRowsMakeOnePageOfDataAndNoElementsPerRow()
    {
        var rows = ReportPages.FakeRows(2000);
        string page = ImageSetReport.Build(rows, "big");
        Assert.Equal(2000, ReportPages.EmbeddedRows(page).GetArrayLength());
        Assert.Contains($"data-page-size=\"{ImageSetReport.DefaultPageSize}\"", page);
        Assert.Equal(100, ImageSetReport.DefaultPageSize);
        Assert.DoesNotContain("class=\"card", page); // cards are the script's, a page at a time
        Assert.InRange(page.Length, 200_000, 1_000_000); // about 300 characters a row
    }
}
