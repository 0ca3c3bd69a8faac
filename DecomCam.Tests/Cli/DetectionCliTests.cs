using System.Text.Json;
using DecomCamNet.Evaluation.Scenes;
using DecomCamNet.Evaluation.Training;
using DecomCamNet.Imaging;
using DecomCamNet.Models;
using DecomCamNet.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DecomCamNet.Tests.Cli;

/// <summary>
/// <c>explain</c> on the bundled detector (scenedet): every detection of a held-out scene explained, a user's box,
/// the maps [D,H,W], the boxes on the overlays, and the mistakes; <c>train-demo --task detect</c> on a few steps.
/// </summary>
public sealed class DetectionCliTests : CliRun
{
    /// <summary>Held-out scene 20,000,003 of seed 1: a square and a triangle.</summary>
    private string Scene()
    {
        var scene = new SceneGenerator(1).Generate(DemoTrainer.HeldOutIndexBase + 3);
        using var image = scene.ToImage();
        image.SaveAsPng(P("scene.png"));
        return P("scene.png");
    }

    [Fact]
    public void ExplainsEveryDetectionWithItsBoxOnTheOverlay()
    {
        var (code, output, err) = Run("explain", "--model", "scenedet", "--input", Scene(), "--save-map", P("m.npy"), "--overlay", P("o.png"));
        Assert.True(code == 0, err);
        var rows = output.Split('\n').Where(l => l.StartsWith("image 0: gradcam on block5 for box", StringComparison.Ordinal)).ToArray();
        Assert.InRange(rows.Length, 1, 10);
        using var maps = NpyFile.Read(P("m.npy"));
        Assert.Equal(new long[] { rows.Length, 128, 128 }, maps.shape);
        string first = rows.Length == 1 ? P("o.png") : P("o_0.png");
        using var overlay = Image.Load<Rgb24>(first);
        Assert.Equal(256, overlay.Width); // the 128-px scene drawn at twice its size
        int green = 0;
        overlay.ProcessPixelRows(a => { for (int y = 0; y < 256; y++) foreach (var p in a.GetRowSpan(y)) if (p.R == 0 && p.G == 255 && p.B == 0) green++; });
        Assert.True(green > 160, $"{green} pure green pixels: the explained box is not drawn ({output})");
    }

    [Fact]
    public void WritesAGridOfOnePanelPerDetection()
    {
        var (code, output, err) = Run("explain", "--model", "scenedet", "--input", Scene(), "--overlay", P("o.png"));
        Assert.True(code == 0, err);
        int detections = output.Split('\n').Count(l => l.StartsWith("image 0: gradcam on block5 for box", StringComparison.Ordinal));
        Assert.InRange(detections, 2, 5); // a square and a triangle: one row of panels
        Assert.Contains($"wrote {P("o_detections.png")}", output);
        using var grid = Image.Load<Rgb24>(P("o_detections.png"));
        int strip = CaptionStrip.Height(256, 1, colorBar: false);
        Assert.Equal((detections * 256 + (detections - 1) * CamImageWriter.GridGutter, 256 + strip), (grid.Width, grid.Height));
        for (int panel = 0; panel < detections; panel++)
        {
            int green = 0;
            grid.ProcessPixelRows(a => { for (int y = 0; y < 256; y++) foreach (var p in a.GetRowSpan(y).Slice(panel * 258, 256)) if (p == new Rgb24(0, 255, 0)) green++; });
            Assert.True(green > 160, $"panel {panel}: {green} pure green pixels, its box is not drawn");
        }

        var (one, oneOutput, oneErr) = Run("explain", "--model", "scenedet", "--input", Scene(), "--max-detections", "1", "--overlay", P("single.png"));
        Assert.True(one == 0, oneErr);
        Assert.DoesNotContain("_detections", oneOutput); // one detection: its overlay says it all
    }

    [Fact]
    public void ExplainsAGivenBoxWithAClassByName()
    {
        var (code, output, err) = Run("explain", "--model", "scenedet", "--input", Scene(), "--method", "eigencam", "--box", "10,10,60,60:ring",
            "--box", "40,40,90,90:1", "--save-map", P("m.npy"), "--overlay", P("o.png"));
        Assert.True(code == 0, err);
        Assert.Contains("box (10,10)-(60,60) ring, target score", output);
        Assert.Contains("box (40,40)-(90,90) square, target score", output);
        using var maps = NpyFile.Read(P("m.npy"));
        Assert.Equal(new long[] { 2, 128, 128 }, maps.shape);
    }

    [Fact]
    public void ExplainsTheOnnxExportThroughDetector()
    {
        var (code, output, err) = Run("explain", "--model", RepoPaths.Golden("detection", "scenedet_opset13.onnx"), "--detector", "yolov8",
            "--layer", "/block5/block5.2/Relu", "--input", RepoPaths.Golden("detection", "scene.png"), "--save-map", P("m.npy"), "--overlay", P("o.png"));
        Assert.True(code == 0, err);
        Assert.Contains("class 2 0.97, target score", output); // the triangle, as through the zoo model
        using var maps = NpyFile.Read(P("m.npy"));
        Assert.Equal(new long[] { 2, 128, 128 }, maps.shape);
    }

    [Theory]
    [InlineData("--box takes X1,Y1,X2,Y2[:CLASS]", "--model", "scenedet", "--box", "1,2,3")]
    [InlineData("'kite' is neither a class index nor one of the labels", "--model", "scenedet", "--box", "1,2,30,40:kite")]
    [InlineData("--box needs a detector", "--model", "scenenet", "--box", "1,2,30,40")]
    [InlineData("a detector's targets are its boxes", "--model", "scenedet", "--detector", "yolov8", "--target", "1")]
    [InlineData("no detection scores above --confidence", "--model", "scenedet", "--confidence", "1")]
    public void MistakesAreOneLineErrors(string expected, params string[] args)
    {
        var (code, _, err) = Run(args.Prepend("explain").Append("--input").Append(Scene()).Append("--overlay").Append(P("o.png")).ToArray());
        Assert.Equal(2, code);
        Assert.Contains(expected, err);
    }

    [Fact]
    public void TrainDemoDetectWritesWeightsAndTheMap()
    {
        var (code, output, err) = Run("train-demo", "--task", "detect", "--seed", "3", "--steps", "2", "--batch-size", "4", "--held-out", "5", "--out", P("d.safetensors"));
        Assert.True(code == 0, err);
        Assert.Contains("trained SceneDet", output);
        Assert.Contains("held-out (5 scenes) mAP@0.5", output);
        using var model = new SceneDet();
        Assert.Empty(StateDictLoader.Load(model, P("d.safetensors")).MissingKeys);
        using var report = JsonDocument.Parse(File.ReadAllText(P("d.json")));
        Assert.Equal("decomcam train-demo --task detect --seed 3 --steps 2 --batch-size 4 --lr 0.003 --device cpu", report.RootElement.GetProperty("command").GetString());
    }
}
