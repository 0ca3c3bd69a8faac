using System.Diagnostics;
using DecomCamNet.Batches;
using DecomCamNet.Batches.Reports;
using DecomCamNet.Evaluation.Runs;
using DecomCamNet.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit.Abstractions;

namespace DecomCamNet.Tests.Reports;

/// <summary>
/// The report pages in a real browser: Debian's headless Chromium renders the gallery's script (<c>--dump-dom</c>) and
/// takes screenshots. Skipped, saying how to install it, where <c>/usr/bin/chromium</c> is absent.
/// </summary>
public sealed class ChromiumReportTests(ITestOutputHelper output) : CliRun
{
    private const string Chromium = "/usr/bin/chromium";

    [ChromiumFact]
    public void TheScriptRendersOnePageOfCardsAndFollowsTheFiltersInTheAddress()
    {
        Manifest.Write(P("manifest.jsonl"), ReportPages.FakeRows(250));
        string page = ImageSetReport.Write(Folder);

        string first = Dom(page);
        Assert.Equal(100, Cards(first));
        Assert.Contains("img0000.png", first);
        Assert.Contains(" images 1-100 of 250 (page 1 of 3) ", first);
        Assert.DoesNotContain("<img src=\"x\"", first); // a failure's name stays text
        Assert.Contains("bad &lt;img src=x onerror=alert(3)&gt;.png", first);

        string failed = Dom(page, "#status=failed&page=2"); // 250 rows, every seventh failed: 36
        Assert.Contains(" images 1-36 of 36 (page 1 of 1) ", failed); // page 2 of 1 clamps to 1
        Assert.Equal(36, Cards(failed, "card failed"));
        Assert.Equal(36, Cards(failed));

        string best = Dom(page, "#cls=2&sort=score-desc");
        Assert.Contains(" images 1-71 of 71 (page 1 of 1) ", best); // class 2: i % 3 == 2 and i % 7 != 3
        Assert.True(best.IndexOf("img0245.png", StringComparison.Ordinal) is > 0 and var top && top < best.IndexOf("img0242.png", StringComparison.Ordinal)
            && best.IndexOf("img0242.png", StringComparison.Ordinal) < best.IndexOf("img0002.png", StringComparison.Ordinal), "highest score first");
    }

    [ChromiumFact]
    public void TwoThousandRowsOpenWithinTwoSecondsAndTheScreenshotIsNotBlank()
    {
        Manifest.Write(P("manifest.jsonl"), ReportPages.FakeRows(2000));
        string page = ImageSetReport.Write(Folder);
        Dom(page); // a warm start: Chromium's own start-up is not the page's
        var clock = Stopwatch.StartNew();
        string dom = Dom(page);
        double seconds = clock.Elapsed.TotalSeconds;
        output.WriteLine($"2,000 rows: Chromium started, rendered and dumped the page in {seconds:F2} s");
        Assert.Equal(100, Cards(dom));
        Assert.Contains(" images 1-100 of 2000 (page 1 of 20) ", dom);
        Assert.True(seconds < 10, $"{seconds:F2} s"); // Chromium's start included: generous

        var (code, log) = Chrome($"--screenshot={P("shot.png")} --window-size=1200,900", page);
        Assert.True(code == 0, log);
        using var shot = Image.Load<Rgb24>(P("shot.png"));
        Assert.Equal((1200, 900), (shot.Width, shot.Height));
        var colours = new HashSet<Rgb24>();
        shot.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < rows.Height; y += 3)
                foreach (var pixel in rows.GetRowSpan(y)) colours.Add(pixel);
        });
        Assert.True(colours.Count > 20, $"{colours.Count} colours: a blank page"); // text, borders, the failed cards' red
    }

    [ChromiumFact]
    public void AnEvaluationPageShowsItsChartsDecoded()
    {
        File.WriteAllText(P("results.md"), "Faithfulness.\n\n| method | a |\n|---|---:|\n| gradcam | 1.0 |\n");
        using (var chart = new Image<Rgb24>(40, 30, new Rgb24(200, 30, 30))) chart.SaveAsPng(P("average_drop.png"));
        string page = EvaluationHtmlReport.Write(Folder);
        var (code, log) = Chrome($"--screenshot={P("shot.png")} --window-size=800,600", page);
        Assert.True(code == 0, log);
        using var shot = Image.Load<Rgb24>(P("shot.png"));
        int red = 0;
        shot.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < rows.Height; y++)
                foreach (var pixel in rows.GetRowSpan(y)) if (pixel.R > 150 && pixel.G < 80 && pixel.B < 80) red++;
        });
        Assert.True(red >= 40 * 30, $"{red} red pixels: the chart was not shown"); // the 40x30 chart, enlarged to the figure's width
    }

    /// <summary>Headless Chromium on <paramref name="page"/> (with an address fragment), with a profile in the test's folder.</summary>
    private (int Code, string Output) Chrome(string what, string page, string fragment = "") =>
        ProcessRunner.Run(Chromium, $"--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking --disable-component-update --disable-sync --user-data-dir={P("profile")} {what} \"{new Uri(page).AbsoluteUri}{fragment}\"",
            Folder, TimeSpan.FromSeconds(60));

    /// <summary>The page's document after its script ran (and Chromium's log after it).</summary>
    private string Dom(string page, string fragment = "")
    {
        var (code, dom) = Chrome("--dump-dom", page, fragment);
        Assert.True(code == 0, dom);
        return dom;
    }

    /// <summary>The cards in <paramref name="dom"/>: all, or those of exactly the class <paramref name="cls"/>.</summary>
    private static int Cards(string dom, string? cls = null) => dom.Split(cls is null ? "<div class=\"card" : $"<div class=\"{cls}\">").Length - 1;

    /// <summary>A fact that is skipped, saying how to install Chromium, where <c>/usr/bin/chromium</c> does not exist.</summary>
    private sealed class ChromiumFactAttribute : FactAttribute
    {
        public ChromiumFactAttribute()
        {
            if (!File.Exists(Chromium)) Skip = $"{Chromium} does not exist: apt-get install chromium (Debian) to run the report pages in a browser";
        }
    }
}
