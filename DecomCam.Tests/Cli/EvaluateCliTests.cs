using DecomCamNet.Tests.Support;
using System.Globalization;
using System.Text.Json;
using DecomCamNet.Cli;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DecomCamNet.Tests.Cli;

/// <summary><c>decomcam evaluate</c> (a 20-scene smoke run) and <c>explain --save-metrics</c>.</summary>
public sealed class EvaluateCliTests : CliRun
{
    [Fact]
    public void TwentySceneSmokeRunWritesTheTableRowsAndCharts()
    {
        var (code, output, err) = Run("evaluate", "--count", "20", "--methods", "gradcam,decomcam", "--steps", "10", "--out", P("eval"));
        Assert.True(code == 0, err);
        Assert.Contains("| gradcam | ", output);
        Assert.Contains("| decomcam | ", output);
        var lines = File.ReadAllLines(P("eval/rows.csv"));
        Assert.Equal(1 + 2 * 20, lines.Length);
        var header = lines[0].Split(',');
        foreach (var line in lines.Skip(1))
        {
            var cells = line.Split(',');
            double Cell(string name) => double.Parse(cells[Array.IndexOf(header, name)], CultureInfo.InvariantCulture);
            Assert.InRange(Cell("average_drop"), 0, 100);
            Assert.InRange(Cell("insertion_auc"), 0, 1);
            Assert.InRange(Cell("deletion_auc"), 0, 1);
            Assert.InRange(Cell("bin"), 0, 4);
            double pointing = Cell("pointing_game");
            Assert.True(double.IsNaN(pointing) || pointing is 0 or 1, line);
        }
        foreach (var chart in new[] { "average_drop.png", "insertion_auc.png", "deletion_curves.png", "insertion_curves.png", "insertion_auc_by_confidence.png" })
        {
            using var png = Image.Load(P("eval/" + chart));
            Assert.Equal(800, png.Width);
        }
        Assert.False(File.Exists(P("eval/road_combined.png"))); // ROAD is opt-in (--road)
        Assert.StartsWith("Faithfulness on 20 generated scenes", File.ReadAllText(P("eval/results.md")));
    }

    [Theory]
    [InlineData("Unknown method(s) 'nope'", "--methods", "gradcam,nope")]
    [InlineData("--masks goes with --images", "--masks", "m")]
    [InlineData("needs an integer >= 1", "--count", "0")]
    [InlineData("Unknown option '--frobnicate' for evaluate", "--frobnicate")]
    public void EvaluateMistakesAreOneLineErrors(string expected, params string[] args)
    {
        var (code, _, err) = Run(args.Prepend("evaluate").ToArray());
        Assert.Equal(2, code);
        Assert.Contains(expected, err);
    }

    [Fact]
    public void SaveMetricsWritesOneRowPerMapWithTheGamesForAMask()
    {
        using (var everything = new Image<L8>(128, 128, new L8(255))) everything.SaveAsPng(P("mask.png"));
        var (code, output, err) = Run("explain", "--overlay", P("o.png"), "--save-metrics", P("m.json"), "--mask", P("mask.png"));
        Assert.True(code == 0, err);
        Assert.Contains("insertion AUC", output);
        using var json = JsonDocument.Parse(File.ReadAllText(P("m.json")));
        var row = json.RootElement.GetProperty("rows")[0];
        Assert.InRange(row.GetProperty("average_drop").GetDouble(), 0, 100);
        Assert.InRange(row.GetProperty("insertion_auc").GetDouble(), 0, 1);
        // A mask covering the whole image holds the map's maximum and all of its energy.
        Assert.Equal(1.0, row.GetProperty("pointing_game").GetDouble());
        Assert.Equal(1.0, row.GetProperty("energy_pointing_game").GetDouble(), 5);
    }
}
