using System.Globalization;
using DecomCamNet.Tests.Support;

namespace DecomCamNet.Tests.Cli;

/// <summary><c>decomcam evaluate --task detect</c>: a 4-scene run of scenedet with Grad-CAM and Eigen-CAM, and the errors.</summary>
public sealed class EvaluateDetectCliTests : CliRun
{
    [Fact]
    public void FourSceneRunScoresEveryDetectionOfEveryMethod()
    {
        var (code, output, err) = Run("evaluate", "--model", "scenedet", "--task", "detect", "--methods", "gradcam,eigencam", "--count", "4", "--bins", "2", "--out", P("det"));
        Assert.True(code == 0, err);
        Assert.Contains("4 held-out generated scenes (seed 1, indices from 20,000,000), 8 detections at confidence 0.25", output);
        Assert.Equal(File.ReadAllText(P("det/results.md")), output[..output.IndexOf("wrote ", StringComparison.Ordinal)]);
        var lines = File.ReadAllLines(P("det/rows.csv"));
        var header = lines[0].Split(',');
        var rows = lines.Skip(1).Select(l => l.Split(',')).ToArray();
        double Cell(string[] row, string name) => double.Parse(row[Array.IndexOf(header, name)], CultureInfo.InvariantCulture);
        Assert.Equal(2 * 8, rows.Length); // no scene failed: every detection has a row per method
        foreach (var method in new[] { "gradcam", "eigencam" })
        {
            var own = rows.Where(r => r[0] == method).ToArray();
            Assert.Equal(8, own.Length);
            Assert.Equal(4, own.Select(r => r[1]).Distinct().Count());
            int matched = own.Count(r => Cell(r, "matched_object") >= 0);
            foreach (var r in own)
            {
                Assert.InRange(Cell(r, "confidence"), 0.25, 1);
                Assert.InRange(Cell(r, "box_energy"), 0, 1);
                double pointing = Cell(r, "pointing"), mask = Cell(r, "mask_energy");
                if (Cell(r, "matched_object") < 0) Assert.True(double.IsNaN(pointing) && double.IsNaN(mask), string.Join(',', r));
                else
                {
                    Assert.True(pointing is 0 or 1, string.Join(',', r));
                    Assert.InRange(mask, 0, 1);
                    Assert.True(mask <= Cell(r, "box_energy") + 0.2, string.Join(',', r)); // the mask lies mostly inside its box
                }
            }
            var line = output.Split('\n').First(l => l.StartsWith($"| {method} | ", StringComparison.Ordinal)); // the main table comes first
            Assert.EndsWith($"| 8 | {matched} | 0 | 0 |", line);
        }
        // Grad-CAM of a box points into its object; Eigen-CAM (one map per image, whatever the box) does less well.
        double PointingOf(string method) => rows.Where(r => r[0] == method && Cell(r, "matched_object") >= 0).Average(r => Cell(r, "pointing"));
        Assert.True(PointingOf("gradcam") >= 0.8, $"Grad-CAM pointing game {PointingOf("gradcam")}");
        Assert.True(PointingOf("gradcam") > PointingOf("eigencam"), $"Grad-CAM {PointingOf("gradcam")}, Eigen-CAM {PointingOf("eigencam")}");
        Assert.Contains("(n=4) |", output); // two equal-count confidence bins of the 8 detections
    }

    [Fact]
    public void AClassifierWithTaskDetectAndADetectorWithoutItAreClearErrors()
    {
        var (code, _, err) = Run("evaluate", "--model", "scenenet", "--task", "detect", "--count", "1", "--out", P("cls"));
        Assert.NotEqual(0, code);
        Assert.Contains("--task detect needs a detector: scenenet is a classifier (zoo detectors: scenedet)", err);
        Assert.False(Directory.Exists(P("cls")));
        var detector = Run("evaluate", "--model", "scenedet", "--count", "1", "--out", P("det"));
        Assert.NotEqual(0, detector.Code);
        Assert.Contains("scenedet is a detector: evaluate it with --task detect.", detector.Err);
    }

    [Fact]
    public void ConfidenceAndMaxDetectionsPickTheDetections()
    {
        var (code, output, err) = Run("evaluate", "--model", "scenedet", "--task", "detect", "--methods", "eigencam", "--count", "4", "--confidence", "0.9", "--max-detections", "1", "--out", P("few"));
        Assert.True(code == 0, err);
        Assert.Contains("4 held-out generated scenes (seed 1, indices from 20,000,000), 4 detections at confidence 0.9 (at most 1 per scene)", output);
        Assert.All(File.ReadAllLines(P("few/rows.csv")).Skip(1), l => Assert.True(double.Parse(l.Split(',')[7], CultureInfo.InvariantCulture) > 0.9, l));
    }

    [Fact]
    public void TaskDetectRefusesImagesAndUnknownTasks()
    {
        var images = Run("evaluate", "--model", "scenedet", "--task", "detect", "--images", P("none"));
        Assert.NotEqual(0, images.Code);
        Assert.Contains("--task detect evaluates on generated scenes", images.Err);
        var confidence = Run("evaluate", "--confidence", "0.5");
        Assert.NotEqual(0, confidence.Code);
        Assert.Contains("--confidence and --max-detections go with --task detect.", confidence.Err);
        var unknown = Run("evaluate", "--task", "segment");
        Assert.NotEqual(0, unknown.Code);
        Assert.Contains("segment", unknown.Err);
    }
}
