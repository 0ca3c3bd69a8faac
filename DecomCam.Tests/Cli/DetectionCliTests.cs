using System.Text.Json;
using DecomCamNet.Batches;
using DecomCamNet.Detection;
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
/// the maps [D,H,W], the boxes on the overlays, and the mistakes; image sets (a row per detection); <c>train-demo --task
/// detect</c> on a few steps.
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
    public void ANpyBatchWritesOneGridPerImage()
    {
        using (var image = ImageLoader.Load(Scene(), ModelZoo.Preprocessing("scenedet")))
        using (var batch = TorchSharp.torch.cat(new[] { image, image.flip(3) }, 0))
            NpyFile.Write(P("two.npy"), batch);
        var (code, output, err) = Run("explain", "--model", "scenedet", "--input", P("two.npy"), "--overlay", P("o.png"));
        Assert.True(code == 0, err);
        for (int n = 0; n < 2; n++)
        {
            int detections = output.Split('\n').Count(l => l.StartsWith($"image {n}: gradcam on block5 for box", StringComparison.Ordinal));
            Assert.InRange(detections, 2, 5); // the scene and its mirror image: the same objects, mirrored
            using var grid = Image.Load<Rgb24>(P($"o_detections_{n}.png"));
            Assert.Equal(detections * 256 + (detections - 1) * CamImageWriter.GridGutter, grid.Width);
        }
        Assert.False(File.Exists(P("o_detections.png")));
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

    /// <summary>
    /// The ViT detector's ONNX export (reference/export_onnx_vit_detector.py) with a transformer method and a given box:
    /// the detector's best detection shrunk as <see cref="VitDetector.BestBoxes"/> does, with its class (2; a class that
    /// no anchor overlapping the box predicts scores 0, and the gradient methods refuse the all-zero gradients).
    /// </summary>
    [Fact]
    public void ExplainsAGivenBoxOnTheOnnxVitDetectorWithChefer()
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        using var model = new VitDetector();
        model.eval();
        var x = DeterministicInit.Input(new long[] { 1, 3, 64, 64 });
        NpyFile.Write(P("x.npy"), x);
        var (box, k) = model.BestBoxes(x).Boxes[0];
        Assert.Equal(2, k);
        var b = new BoundingBox(MathF.Round(box.X1, 2), MathF.Round(box.Y1, 2), MathF.Round(box.X2, 2), MathF.Round(box.Y2, 2));
        var (code, output, err) = Run("explain", "--model", RepoPaths.Golden("detection", "vitdet_opset14.onnx"), "--detector", "yolov8",
            "--method", "chefer", "--box", FormattableString.Invariant($"{b.X1},{b.Y1},{b.X2},{b.Y2}:{k}"), "--input", P("x.npy"), "--save-map", P("m.npy"));
        Assert.True(code == 0, output + err);
        Assert.Contains($"class {k}, target score", output);
        using var maps = NpyFile.Read(P("m.npy"));
        Assert.Equal(new long[] { 1, 64, 64 }, maps.shape);
        // The TorchSharp detector explains the same box alike (no layer, reshape or labels needed: the attention layers
        // are found from the graph, the box's class is an index).
        using var cam = CamMethods.Create("chefer", model, Array.Empty<CamLayer>());
        using var expected = cam.Explain(x, CamTarget.Boxes(new[] { new[] { new ReferenceBox(b, k) } }));
        Assert.True(expected.Maps.std().item<float>() > 1e-2f, "a flat map");
        Assert.True(TestTensors.MaxAbsDiff(maps, expected.Maps) < 1e-4f, $"max |map difference| {TestTensors.MaxAbsDiff(maps, expected.Maps):g3}");
    }

    /// <summary>Held-out scenes 20,000,003-5 of seed 1 and a blank grey image in one folder.</summary>
    private string Scenes()
    {
        Directory.CreateDirectory(P("scenes"));
        for (int i = 0; i < 3; i++)
        {
            using var image = new SceneGenerator(1).Generate(DemoTrainer.HeldOutIndexBase + 3 + i).ToImage();
            image.SaveAsPng(P($"scenes/scene{i}.png"));
        }
        using (var blank = new Image<Rgb24>(128, 128, new Rgb24(128, 128, 128))) blank.SaveAsPng(P("scenes/z-blank.png"));
        return P("scenes");
    }

    [Fact]
    public void AnImageSetWritesARowPerDetectionAsOneImageExplainsItAndResumesAndReports()
    {
        var (code, output, err) = Run("explain", "--model", "scenedet", "--input", Scenes(), "--out", P("out"), "--images-per-batch", "1", "--report");
        Assert.True(code == 0, err);
        Assert.Contains("explained 4, failed 0, skipped 0", output);
        Assert.True(File.Exists(P("out/report.html")));
        var rows = Manifest.Read(P("out/manifest.jsonl"));
        var blank = Assert.Single(rows, r => r.Input.EndsWith("z-blank.png", StringComparison.Ordinal));
        Assert.Equal((0, 0), (blank.Detections!.Value, blank.Outputs.Count));
        for (int i = 0; i < 3; i++)
        {
            string scene = P($"scenes/scene{i}.png");
            var one = Run("explain", "--model", "scenedet", "--input", scene, "--save-map", P($"m{i}.npy"), "--overlay", P($"o{i}.png"));
            Assert.True(one.Code == 0, one.Err);
            var lines = one.Out.Split('\n').Where(l => l.StartsWith("image 0: gradcam on block5 for box", StringComparison.Ordinal)).ToArray();
            var mine = rows.Where(r => r.Input == scene).ToArray();
            Assert.Equal(lines.Length, mine.Length);
            using var maps = NpyFile.Read(P($"m{i}.npy"));
            for (int d = 0; d < mine.Length; d++)
            {
                var box = new BoundingBox(mine[d].Box![0], mine[d].Box![1], mine[d].Box![2], mine[d].Box![3]);
                Assert.Equal(FormattableString.Invariant($"image 0: gradcam on block5 for box {box} {mine[d].Label} {mine[d].DetectionScore:F2}, target score {mine[d].Score:F4}"), lines[d]);
                using var map = NpyFile.Read(Path.Combine(P("out"), mine[d].Outputs[0]));
                Assert.True(TestTensors.MaxAbsDiff(maps[d], map) <= 1e-5f, $"scene {i} box {d}: max diff {TestTensors.MaxAbsDiff(maps[d], map)}"); // a batch of 4 against one image
            }
        }
        var resumed = Run("explain", "--model", "scenedet", "--input", P("scenes"), "--out", P("out"), "--resume");
        Assert.True(resumed.Code == 0, resumed.Err);
        Assert.Contains("explained 0, failed 0, skipped 4", resumed.Out);
        Assert.Equal(rows.Count, Manifest.Read(P("out/manifest.jsonl")).Count);
        var other = Run("explain", "--model", "scenedet", "--input", P("scenes"), "--out", P("out"), "--resume", "--confidence", "0.5");
        Assert.Equal(2, other.Code);
        Assert.Contains("detection: YoloV8, confidence above 0.25", other.Err);

        var none = Run("explain", "--model", "scenedet", "--input", P("scenes"), "--out", P("none"), "--confidence", "1");
        Assert.True(none.Code == 0, none.Err);
        Assert.All(Manifest.Read(P("none/manifest.jsonl")), r => Assert.Equal((0, (string?)null), (r.Detections!.Value, r.Error)));
    }

    [Fact]
    public void AnImageSetTakesTheOnnxExportThroughDetectorAndGivenBoxes()
    {
        Directory.CreateDirectory(P("set"));
        File.Copy(RepoPaths.Golden("detection", "scene.png"), P("set/scene.png"));
        var (code, output, err) = Run("explain", "--model", RepoPaths.Golden("detection", "scenedet_opset13.onnx"), "--detector", "yolov8",
            "--layer", "/block5/block5.2/Relu", "--input", P("set"), "--out", P("out"));
        Assert.True(code == 0, output + err);
        var rows = Manifest.Read(P("out/manifest.jsonl"));
        Assert.Equal(2, rows.Count);
        Assert.Contains(rows, r => r.Class == 2 && r.Label == "class 2" && r.DetectionScore > 0.95f); // the triangle, as through the zoo model

        var given = Run("explain", "--model", "scenedet", "--input", P("set"), "--out", P("given"), "--method", "eigencam", "--box", "10,10,60,60:ring", "--box", "40,40,90,90");
        Assert.True(given.Code == 0, given.Err);
        var boxes = Manifest.Read(P("given/manifest.jsonl"));
        Assert.Equal(("ring", (float?)null, "given boxes"), (boxes[0].Label, boxes[0].DetectionScore, boxes[0].Target));
        Assert.Equal([40f, 40f, 90f, 90f], boxes[1].Box);
        var target = Run("explain", "--model", "scenedet", "--input", P("set"), "--out", P("t"), "--target", "1");
        Assert.Equal(2, target.Code);
        Assert.Contains("a detector's targets are its boxes", target.Err);
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
