using System.Text.Json;
using DecomCamNet.Detection;
using DecomCamNet.Imaging;
using DecomCamNet.Models;
using DecomCamNet.Tests.Methods;
using DecomCamNet.Tests.Support;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Detection;

/// <summary>
/// The bundled demo detector against its Python twin (reference/detection_pgc_parity.py): on a held-out scene, the
/// detections (decode and NMS against torchvision.ops) and pytorch-grad-cam's own Grad-CAM, Eigen-CAM and Score-CAM
/// with its box target written like FasterRCNNBoxScoreTarget for the YOLOv8 layout, one map per detection (its box
/// shrunk by 1 px a side), r ≥ 0.999.
/// </summary>
public class DetectionParityTests(ITestOutputHelper output)
{
    private static readonly JsonElement Golden = JsonDocument.Parse(File.ReadAllText(RepoPaths.Golden("detection", "scenedet_detections.json"))).RootElement;

    private static SceneDet Detector()
    {
        var model = new SceneDet();
        StateDictLoader.Load(model, Path.Combine(RepoPaths.Root, "DecomCam.Cli", "assets", "scenedet.safetensors"));
        model.eval();
        return model;
    }

    private static IReadOnlyList<DetectedBox> Detect(SceneDet model, Tensor x)
    {
        using var noGrad = no_grad();
        return DetectionDecoder.Detect(DetectionDecoder.Decode(model.call(x)))[0];
    }

    [Fact]
    public void DetectionsMatchTorchvision()
    {
        using var scope = NewDisposeScope();
        using var model = Detector();
        var detections = Detect(model, NpyFile.Read(RepoPaths.Golden("detection", "scenedet_input.npy")));
        var anchors = Golden.GetProperty("anchors").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var boxes = Golden.GetProperty("boxes").EnumerateArray().Select(b => b.EnumerateArray().Select(v => (float)v.GetDouble()).ToArray()).ToArray();
        var scores = Golden.GetProperty("scores").EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();
        Assert.True(anchors.Length >= 2, "the scene must have several detections");
        Assert.Equal(anchors, detections.Select(d => d.Anchor).ToArray());
        Assert.Equal(Golden.GetProperty("classes").EnumerateArray().Select(e => e.GetInt32()), detections.Select(d => d.ClassIndex));
        for (int i = 0; i < anchors.Length; i++)
        {
            Assert.Equal(scores[i], detections[i].Score, 4);
            var mine = detections[i].Box.ToArray();
            for (int k = 0; k < 4; k++) Assert.True(Math.Abs(mine[k] - boxes[i][k]) < 1e-3f, $"detection {i} corner {k}: {mine[k]} vs {boxes[i][k]}");
        }
    }

    [Theory]
    [InlineData("gradcam")]
    [InlineData("eigencam")]
    [InlineData("scorecam")]
    public void MapsPerDetectionCorrelateWithPytorchGradCam(string method)
    {
        using var scope = NewDisposeScope();
        using var model = Detector();
        var x = NpyFile.Read(RepoPaths.Golden("detection", "scenedet_input.npy"));
        var detections = Detect(model, x);
        using var cam = CamMethods.Create(method, model, new CamLayer[] { "block5" });
        // Each detection's box shrunk by 1 px a side (as the Python side does): at IoU 1 exactly the IoU's gradient has a
        // kink (min/max ties), and forwards with and without gradients round the box differently by ~1e-6.
        var shrunk = detections.Select(d => new ReferenceBox(new BoundingBox(d.Box.X1 + 1, d.Box.Y1 + 1, d.Box.X2 - 1, d.Box.Y2 - 1), d.ClassIndex)).ToArray();
        using var result = cam.Explain(x, CamTarget.Boxes(new[] { shrunk }));
        var theirs = NpyFile.Read(RepoPaths.Golden("detection", $"pgc_scenedet_{method}.npy"));
        Assert.Equal(theirs.shape, result.Maps.shape);
        for (int i = 0; i < detections.Count; i++)
        {
            double r = PytorchGradCamParityTests.Pearson(result.Maps[i], theirs[i]);
            output.WriteLine($"{method} detection {i}: r = {r:F6}, max abs diff {TestTensors.MaxAbsDiff(result.Maps[i], theirs[i]):G3}");
            Assert.True(r >= 0.999, $"{method} detection {i}: r = {r}");
        }
    }
}
