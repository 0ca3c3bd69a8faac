using DecomCamNet.Cam;
using DecomCamNet.Detection;
using DecomCamNet.Imaging;
using DecomCamNet.Models;
using DecomCamNet.Onnx;
using DecomCamNet.Tests.Support;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Onnx;

/// <summary>
/// The small ViT detector of the transformer box-target tests (<see cref="VitDetector"/>) exported to ONNX by
/// reference/export_onnx_vit_detector.py (a PyTorch twin with the same detinit weights, opset 14): its output equals
/// the TorchSharp model's, and box targets through the ONNX graph give the TorchSharp model's maps with the attention
/// methods (attention layers found from the graph's Softmax nodes, LeGrad's blocks and tail from its cuts) and with
/// Grad-CAM on a token layer through the inferred ViT reshape.
/// </summary>
[Collection(OneDnnOffCollection.Name)]
public class OnnxVitDetectorTests(ITestOutputHelper output)
{
    private const string LastNorm = "/encoder/layers/encoder_layer_2/ln_1/Add_1";

    private static string Export => RepoPaths.Golden("detection", "vitdet_opset14.onnx");

    private static Tensor Input() => DeterministicInit.Input(new long[] { 1, 3, 64, 64 });

    private static VitDetector Detector()
    {
        var model = new VitDetector();
        model.eval();
        return model;
    }

    [Fact]
    public void TheExportGivesTheTorchSharpDetectorsAndItsTwinsOutput()
    {
        using var scope = NewDisposeScope();
        using var onnx = OnnxModel.Load(Export);
        using var model = Detector();
        using var noGrad = no_grad();
        var x = Input();
        var actual = onnx.call(x);
        var expected = model.call(x);
        var twin = NpyFile.Read(RepoPaths.Golden("detection", "vitdet_output.npy"));
        Assert.Equal(new long[] { 1, 7, 64 }, actual.shape);
        // Box sizes reach 314 px (exp(t) * 32): their rows are compared relative to the largest value, the class
        // scores (sigmoids in [0, 1]) absolutely.
        float scale = expected.abs().max().item<float>();
        float diff = TestTensors.MaxAbsDiff(actual, expected), twinDiff = TestTensors.MaxAbsDiff(twin, expected);
        float scoreDiff = TestTensors.MaxAbsDiff(actual[.., 4..], expected[.., 4..]), twinScoreDiff = TestTensors.MaxAbsDiff(twin[.., 4..], expected[.., 4..]);
        output.WriteLine($"max |output difference| vs TorchSharp {diff:g3} (scores {scoreDiff:g3}), twin vs TorchSharp {twinDiff:g3} (scores {twinScoreDiff:g3}), max |output| {scale:g4}");
        Assert.True(diff < 1e-4f * scale && scoreDiff < 1e-4f, $"vs TorchSharp: {diff:g3}, scores {scoreDiff:g3}");
        Assert.True(twinDiff < 1e-4f * scale && twinScoreDiff < 1e-4f, $"the PyTorch twin vs TorchSharp: {twinDiff:g3}, scores {twinScoreDiff:g3}");
        var batch = cat(new[] { x, x.flip(3) }, 0);
        Assert.True(TestTensors.MaxAbsDiff(onnx.call(batch), model.call(batch)) < 1e-4f * scale, "a batch of two");
    }

    [Fact]
    public void TheImporterAgreesWithOnnxRuntime()
    {
        var worst = OnnxParity.Compare(Export, new long[] { 2, 3, 64, 64 }, output);
        Assert.True(worst < 1e-4, $"worst scaled difference {worst:g3}");
    }

    [Fact]
    public void TheBlocksAreEachBlocksSecondResidualSum()
    {
        using var onnx = OnnxModel.Load(Export);
        Assert.Equal(Enumerable.Range(0, 3).Select(l => onnx.ToModulePath($"/encoder/layers/encoder_layer_{l}/Add_1")), onnx.TokenBlocks);
        Assert.Equal(3, AttentionLayers.Find(onnx).Count);
    }

    [Theory]
    [InlineData("rollout")]
    [InlineData("gradrollout")]
    [InlineData("chefer")]
    [InlineData("legrad")]
    public void TwoBoxesGiveTheTorchSharpDetectorsMaps(string method)
    {
        using var scope = NewDisposeScope();
        using var onnx = OnnxModel.Load(Export);
        using var model = Detector();
        var x = Input();
        var (boxes, _) = model.BestBoxes(x);
        var target = CamTarget.Boxes(new[] { boxes });
        var settings = new CamMethodSettings { Rollout = new RolloutOptions(DiscardRatio: 0) };
        using var expectedCam = CamMethods.Create(method, model, Array.Empty<CamLayer>(), settings);
        using var actualCam = CamMethods.Create(method, onnx, Array.Empty<CamLayer>(), settings);
        using var expected = expectedCam.Explain(x, target);
        using var actual = actualCam.Explain(x, target);
        Assert.Equal(new long[] { 2, 64, 64 }, actual.Maps.shape);
        Assert.Equal(3, actual.RawMaps.Count);
        Assert.True(expected.Maps[0].std().item<float>() > 1e-2f && expected.Maps[1].std().item<float>() > 1e-2f, $"{method}: a flat map");
        for (int l = 0; l < 3; l++)
            Assert.True(TestTensors.MaxAbsDiff(actual.RawMaps[l], expected.RawMaps[l]) < 1e-4f, $"{method} layer {l}: {TestTensors.MaxAbsDiff(actual.RawMaps[l], expected.RawMaps[l]):g3}");
        float diff = TestTensors.MaxAbsDiff(actual.Maps, expected.Maps);
        output.WriteLine($"{method}: max |map difference| {diff:g3}, scores {string.Join(", ", actual.Scores.data<float>())}");
        Assert.True(diff < 1e-4f, $"{method}: max |map difference| {diff:g3}");
        Assert.True(TestTensors.MaxAbsDiff(actual.Scores, expected.Scores) < 1e-4f, $"{method}: the box scores differ");
    }

    [Fact]
    public void GradCamOnTheLastBlocksFirstNormWithTheInferredReshapeGivesTheTorchSharpMaps()
    {
        using var scope = NewDisposeScope();
        using var onnx = OnnxModel.Load(Export);
        using var model = Detector();
        var x = Input();
        Assert.Equal(new ActivationReshape(ActivationLayout.Tokens, 1, 8, 8), onnx.InferReshape(LastNorm, x.shape));
        var (boxes, _) = model.BestBoxes(x);
        var target = CamTarget.Boxes(new[] { boxes });
        using var expectedCam = new GradCam(model, ((CamLayer)"encoder.layers.encoder_layer_2.ln_1").WithReshape(ActivationReshape.Vit));
        using var actualCam = new GradCam(onnx, ((CamLayer)LastNorm).WithReshape(onnx.InferReshape(LastNorm, x.shape)));
        using var expected = expectedCam.Explain(x, target);
        using var actual = actualCam.Explain(x, target);
        Assert.Equal(new long[] { 2, 64, 64 }, actual.Maps.shape);
        Assert.True(expected.Maps.std().item<float>() > 1e-2f, "the TorchSharp maps are flat");
        float diff = TestTensors.MaxAbsDiff(actual.Maps, expected.Maps);
        output.WriteLine($"gradcam: max |map difference| {diff:g3}");
        Assert.True(diff < 1e-4f, $"gradcam: max |map difference| {diff:g3}");
    }
}
