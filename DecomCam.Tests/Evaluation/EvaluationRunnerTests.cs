using System.Globalization;
using DecomCamNet.Evaluation.Runs;
using DecomCamNet.Imaging;
using DecomCamNet.Models;
using DecomCamNet.Tests.Support;

namespace DecomCamNet.Tests.Evaluation;

/// <summary><see cref="EvaluationRunner"/> called as a library user calls it gives the rows and files of <c>decomcam evaluate</c>.</summary>
public sealed class EvaluationRunnerTests : CliRun
{
    [Fact]
    public void TheRunnerOnGeneratedScenesGivesTheCommandLinesResults()
    {
        var cli = Run("evaluate", "--count", "4", "--seed", "3", "--methods", "gradcam,gradcam++", "--steps", "4", "--bins", "2",
            "--batch-size", "2", "--out", P("cli"));
        Assert.True(cli.Code == 0, cli.Err);

        string assets = Path.Combine(AppContext.BaseDirectory, "assets");
        using var model = ModelZoo.Create("scenenet");
        StateDictLoader.Load(model, Path.Combine(assets, "scenenet.safetensors"));
        model.eval();
        var labels = File.ReadAllLines(Path.Combine(assets, "scenenet.labels.txt")).Where(l => l.Length > 0).ToArray();
        var images = EvaluationImages.Scenes(4, seed: 3, labels, ImagePreprocessing.None);
        var options = new EvaluationOptions
        {
            Methods = ["gradcam", "gradcam++"], Layers = [ModelZoo.DefaultLayer("scenenet")], ModelName = "scenenet",
            Steps = 4, Bins = 2, BatchSize = 2,
        };
        var progress = new List<CamProgress>();
        var results = EvaluationRunner.Run(model, images, options, new Progress(progress));

        Assert.Equal(8, results.Rows.Count);
        Assert.Equal(4, results.Images);
        Assert.Equal(new CamProgress("evaluating", 8, 8), progress[^1]);
        Assert.Contains(results.Rows, r => !float.IsNaN(r.Pointing)); // the labels give the scenes' masks
        string table = results.Write(P("library"));
        Assert.Equal(File.ReadAllText(P("cli/results.md")).Split('|').Length, table.Split('|').Length);
        Assert.Equal(Numbers(File.ReadAllText(P("cli/results.md"))), Numbers(table), (x, y) => x.Equals(y) || Math.Abs(x - y) <= 1e-3);
        Assert.True(File.Exists(P("library/insertion_curves.png")));

        var expected = File.ReadAllLines(P("cli/rows.csv"));
        var actual = File.ReadAllLines(P("library/rows.csv"));
        Assert.Equal(1 + 8, actual.Length);
        Assert.Equal(expected.Length, actual.Length);
        Assert.Equal(expected[0], actual[0]);
        for (int i = 1; i < expected.Length; i++)
        {
            var (e, a) = (expected[i].Split(','), actual[i].Split(','));
            Assert.Equal(e[..3], a[..3]); // image, name, method
            Assert.Equal(e[3..].Select(Number), a[3..].Select(Number), (x, y) => x.Equals(y) || Math.Abs(x - y) <= Math.Max(1e-5, 1e-4 * Math.Abs(x)));
        }
        var row = results.Rows[5]; // gradcam++, scene 1: the CLI's row, field by field
        var cells = actual[1 + 5].Split(',');
        Assert.Equal(("scene_00001", "gradcam++"), (cells[1], cells[2]));
        Assert.Equal(row.InsertionAuc, float.Parse(cells[9], CultureInfo.InvariantCulture));
    }

    private static double Number(string cell) => double.Parse(cell, CultureInfo.InvariantCulture);

    /// <summary>Every number in <paramref name="text"/>, in order (NaN included).</summary>
    private static double[] Numbers(string text) =>
        System.Text.RegularExpressions.Regex.Matches(text, @"NaN|-?\d+(\.\d+)?(E[-+]?\d+)?").Select(m => Number(m.Value)).ToArray();

    /// <summary>Collects reports synchronously (<see cref="Progress{T}"/> would post them to the thread pool).</summary>
    private sealed class Progress(List<CamProgress> reports) : IProgress<CamProgress>
    {
        public void Report(CamProgress value) => reports.Add(value);
    }
}
