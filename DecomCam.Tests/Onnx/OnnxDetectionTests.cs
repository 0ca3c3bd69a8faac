using DecomCamNet.Detection;
using DecomCamNet.Imaging;
using DecomCamNet.Models;
using DecomCamNet.Onnx;
using DecomCamNet.Tests.Support;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Onnx;

/// <summary>
/// The bundled detector exported to ONNX in YOLOv8 layout (reference/detection_pgc_parity.py) against the zoo SceneDet
/// with the same weights: the outputs, the detections, and the maps of every detection through the ONNX path.
/// </summary>
[Collection(OneDnnOffCollection.Name)]
public class OnnxDetectionTests(ITestOutputHelper output)
{
    private static SceneDet Zoo()
    {
        var model = new SceneDet();
        StateDictLoader.Load(model, Path.Combine(RepoPaths.Root, "DecomCam.Cli", "assets", "scenedet.safetensors"));
        model.eval();
        return model;
    }

    [Fact]
    public void TheExportGivesTheZooModelsOutputAndDetections()
    {
        using var scope = NewDisposeScope();
        using var zoo = Zoo();
        using var onnx = OnnxModel.Load(RepoPaths.Golden("detection", "scenedet_opset13.onnx"));
        var x = NpyFile.Read(RepoPaths.Golden("detection", "scenedet_input.npy"));
        using var noGrad = no_grad();
        var expected = zoo.call(x);
        var actual = onnx.call(x);
        Assert.Equal(expected.shape, actual.shape);
        double diff = (expected - actual).abs().max().item<float>();
        output.WriteLine($"max |output difference| {diff:g3} (max |output| {expected.abs().max().item<float>():g4})");
        Assert.True(diff < 1e-4 * expected.abs().max().item<float>(), $"max |output difference| {diff:g3}");
        var a = DetectionDecoder.Detect(DetectionDecoder.Decode(expected))[0];
        var b = DetectionDecoder.Detect(DetectionDecoder.Decode(actual))[0];
        Assert.Equal(a.Select(d => (d.Anchor, d.ClassIndex)), b.Select(d => (d.Anchor, d.ClassIndex)));
    }

    [Theory]
    [InlineData("gradcam")]
    [InlineData("eigencam")]
    [InlineData("scorecam")]
    public void EachDetectionsMapIsTheSameThroughOnnx(string method)
    {
        using var scope = NewDisposeScope();
        using var zoo = Zoo();
        using var onnx = OnnxModel.Load(RepoPaths.Golden("detection", "scenedet_opset13.onnx"));
        var x = NpyFile.Read(RepoPaths.Golden("detection", "scenedet_input.npy"));
        IReadOnlyList<DetectedBox> detections;
        using (no_grad()) detections = DetectionDecoder.Detect(DetectionDecoder.Decode(zoo.call(x)))[0];
        // Each detection's box shrunk by 1 px a side: at IoU 1 exactly the IoU's gradient has a kink (min/max ties) that
        // float rounding of the two graphs puts on either side.
        var target = CamTarget.Boxes(new[] { detections.Select(d => new ReferenceBox(new BoundingBox(d.Box.X1 + 1, d.Box.Y1 + 1, d.Box.X2 - 1, d.Box.Y2 - 1), d.ClassIndex)).ToArray() },
            layout: DetectionLayout.YoloV8);
        double diff = OnnxParity.CompareMaps(method, zoo, "block5", onnx, "/block5/block5.2/Relu", x, target);
        output.WriteLine($"{method}: max |map difference| {diff:g3}");
        Assert.True(diff < 1e-3, $"{method}: max |map difference| {diff:g3}");
    }
}
