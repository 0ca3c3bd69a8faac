using DecomCamNet.Cli;
using DecomCamNet.Tests.Support;

namespace DecomCamNet.Tests.Cli;

/// <summary>Progress on a terminal (one line redrawn) and in a log (plain periodic lines), and <c>--quiet</c>/<c>--verbose</c>.</summary>
public sealed class ProgressBarTests : CliRun
{
    private sealed class FakeClock
    {
        public TimeSpan Now { get; set; }
    }

    [Fact]
    public void ARedirectedStderrGetsAPlainLineEveryTenSecondsAndAtTheEnd()
    {
        var clock = new FakeClock();
        var log = new StringWriter();
        var progress = new ProgressBar(log, enabled: true, terminal: false, elapsed: () => clock.Now);
        foreach (var (seconds, done) in new[] { (0.5, 1), (2.0, 4), (5.0, 10), (12.5, 25), (20.0, 40) })
        {
            clock.Now = TimeSpan.FromSeconds(seconds);
            progress.Report(new CamProgress("evaluating", done, 40));
        }
        progress.Finish();
        Assert.Equal(
        [
            "evaluating 10% (4/40, 2/s, about 18s left)", // the first line after the first second
            "evaluating 62% (25/40, 2/s, about 8s left)", // ten seconds later
            "evaluating 100% (40/40, 2/s, done)",
        ], log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')));
    }

    [Fact]
    public void ATerminalGetsOneLineRedrawnWithTheTimeLeft()
    {
        var clock = new FakeClock { Now = TimeSpan.FromSeconds(90) };
        var tty = new StringWriter();
        var progress = new ProgressBar(tty, enabled: true, terminal: true, elapsed: () => clock.Now);
        progress.Restart();
        clock.Now = TimeSpan.FromSeconds(190);
        progress.Report(new CamProgress("images", 50, 200));
        progress.Finish();
        string text = tty.ToString();
        Assert.StartsWith("\rimages", text);
        Assert.Contains("[########......................] 50/200, 0.5/s, about 5m00s left", text);
        Assert.EndsWith(Environment.NewLine, text);
        Assert.Single(text.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void QuietLeavesOutWarningsAndVerboseWithQuietIsAUsageError()
    {
        using (var grey = new SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgb24>(128, 128,
            new SixLabors.ImageSharp.PixelFormats.Rgb24(128, 128, 128)))
            SixLabors.ImageSharp.ImageExtensions.SaveAsPng(grey, P("grey.png"));
        var loud = Run("explain", "--input", P("grey.png"), "--overlay", P("a.png"));
        Assert.Contains("warning: image 0:", loud.Err);
        var quiet = Run("explain", "--input", P("grey.png"), "--overlay", P("b.png"), "--quiet");
        Assert.Equal(0, quiet.Code);
        Assert.Equal("", quiet.Err);
        Assert.Contains("image 0: gradcam on block4", quiet.Out);
        var both = Run("evaluate", "--count", "2", "-q", "-v");
        Assert.Equal(2, both.Code);
        Assert.Contains("Give either --verbose or --quiet, not both.", both.Err);
    }
}
