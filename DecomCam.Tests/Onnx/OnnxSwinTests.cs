using DecomCamNet.Cam;
using DecomCamNet.Imaging;
using DecomCamNet.Models;
using DecomCamNet.Onnx;
using DecomCamNet.Tests.Support;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Onnx;

/// <summary>
/// The reduced seeded torchvision Swin (reference/vit_reference.py) exported at opset 17 by
/// reference/export_onnx_transformers.py (Mod, Not, Range, ScatterND for its windows and masks): its logits equal
/// torchvision's and the zoo Swin's on the same weights, its last stage's channels-last output gets the Swin reshape
/// inferred, and Grad-CAM there equals the zoo Swin's map.
/// </summary>
[Collection(OneDnnOffCollection.Name)]
public class OnnxSwinTests
{
    private const string LastStage = "/features/features.3/features.3.1/Add_1";
    private static readonly SwinConfig TinySwin = new(4, 8, [2, 2], [2, 2], 4, NumClasses: 10);

    private static OnnxModel Onnx() => OnnxModel.Load(RepoPaths.Golden("onnx", "swin_opset17.onnx"));

    private static SwinTransformer Zoo()
    {
        var swin = new SwinTransformer(TinySwin);
        StateDictLoader.Load(swin, RepoPaths.Golden("vit", "swin.pth"));
        swin.eval();
        return swin;
    }

    private static Tensor Input() => NpyFile.Read(RepoPaths.Golden("vit", "swin_input.npy"));

    [Fact]
    public void LogitsEqualTorchvisionAndTheZooSwin()
    {
        using var scope = NewDisposeScope();
        using var onnx = Onnx();
        using var zoo = Zoo();
        using var noGrad = no_grad();
        var x = Input();
        var actual = onnx.call(x);
        var torchvision = NpyFile.Read(RepoPaths.Golden("vit", "swin_logits.npy"));
        Assert.Equal(new long[] { 1, 10 }, actual.shape);
        Assert.True(TestTensors.MaxAbsDiff(actual, torchvision) < 1e-4f, $"vs torchvision: {TestTensors.MaxAbsDiff(actual, torchvision):g3}");
        var fromZoo = zoo.call(x);
        Assert.True(TestTensors.MaxAbsDiff(actual, fromZoo) < 1e-4f, $"vs zoo: {TestTensors.MaxAbsDiff(actual, fromZoo):g3}");
    }

    [Fact]
    public void ChannelsLastStagesGetTheSwinReshapeAndConvolutionsNone()
    {
        using var onnx = Onnx();
        Assert.Equal(ActivationReshape.Swin, onnx.InferReshape(LastStage));
        Assert.Equal(ActivationReshape.None, onnx.InferReshape("/features/features.0/features.0.0/Conv"));
    }

    [Fact]
    public void GradCamOnTheLastStageEqualsTheZooSwin()
    {
        using var scope = NewDisposeScope();
        using var onnx = Onnx();
        using var zoo = Zoo();
        var x = Input();
        using var zooCam = new GradCam(zoo, ((CamLayer)TinySwin.LastStage).WithReshape(ActivationReshape.Swin));
        using var onnxCam = new GradCam(onnx, ((CamLayer)LastStage).WithReshape(onnx.InferReshape(LastStage, x.shape)));
        using var expected = zooCam.Explain(x, 3);
        using var actual = onnxCam.Explain(x, 3);
        Assert.Equal(expected.Maps.shape, actual.Maps.shape);
        Assert.True(expected.Maps.std().item<float>() > 1e-2f, "the zoo Swin's maps are flat");
        Assert.True(TestTensors.MaxAbsDiff(actual.Maps, expected.Maps) < 1e-4f, $"max |map difference| {TestTensors.MaxAbsDiff(actual.Maps, expected.Maps):g3}");
    }

    [Fact]
    public void EachWindowAttentionsSoftmaxIsExposedAsTheZoosThroughItsDropout()
    {
        using var scope = NewDisposeScope();
        using var onnx = Onnx();
        using var zoo = Zoo();
        var onnxLayers = AttentionLayers.Find(onnx);
        var zooLayers = AttentionLayers.Find(zoo);
        Assert.Equal(4, onnxLayers.Count);
        Assert.Equal(zooLayers.Count, onnxLayers.Count);
        using var fromOnnx = new ActivationRecorder(onnx, onnxLayers.Select(n => (CamLayer)n).ToArray());
        using var fromZoo = new ActivationRecorder(zoo, zooLayers.Select(n => (CamLayer)n).ToArray());
        using var noGrad = no_grad();
        fromOnnx.Start();
        fromZoo.Start();
        onnx.call(Input());
        zoo.call(Input());
        var actual = fromOnnx.CollectOutputs();
        var expected = fromZoo.CollectOutputs();
        for (int l = 0; l < 4; l++)
        {
            Assert.Equal(expected[l].shape, actual[l].shape); // [windows, heads, 16, 16]
            Assert.True(TestTensors.MaxAbsDiff(actual[l], expected[l]) < 1e-5f, $"layer {l}: {TestTensors.MaxAbsDiff(actual[l], expected[l]):g3}");
        }
    }
}
