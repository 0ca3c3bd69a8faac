using DecomCamNet.Cam;
using DecomCamNet.Imaging;
using DecomCamNet.Models;
using DecomCamNet.Onnx;
using DecomCamNet.Tests.Support;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Onnx;

/// <summary>
/// The attention methods on the ONNX exports of the reduced seeded torchvision ViT (reference/export_onnx_transformers.py):
/// the interpreter exposes each attention Softmax ([N·heads, T, T] as PyTorch's MultiheadAttention exports it) as
/// <c>attn_probs</c> [N, heads, T, T], rollout, gradient rollout and Chefer relevance give the zoo ViT's maps, and so
/// does LeGrad, with the blocks' outputs found from the graph (each block's second residual sum) and scored through the
/// graph's tail.
/// </summary>
[Collection(OneDnnOffCollection.Name)]
public class OnnxAttentionTests
{
    private static VisionTransformer Zoo() => VitLoader.LoadTorchvision(RepoPaths.Golden("vit", "vit_torchvision.safetensors"), heads: 2);

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var file in new[] { "vit_opset14.onnx", "vit_opset17.onnx" })
            foreach (var method in new[] { "rollout", "gradrollout", "chefer", "legrad" })
                data.Add(file, method);
        return data;
    }

    [Theory]
    [InlineData("vit_opset14.onnx")]
    [InlineData("vit_opset17.onnx")]
    public void EachBlocksSoftmaxIsAnAttentionLayerAndTheClassifiersIsNot(string file)
    {
        using var onnx = OnnxModel.Load(RepoPaths.Golden("onnx", file));
        var layers = AttentionLayers.Find(onnx);
        Assert.True(layers.Count == 2, string.Join(" ", layers));
        Assert.All(layers, l => Assert.EndsWith(".attn_probs", l));
        Assert.Contains("encoder_layer_0", layers[0]);
        Assert.Contains("encoder_layer_1", layers[1]);
    }

    [Theory]
    [InlineData("vit_opset14.onnx")]
    [InlineData("vit_opset17.onnx")]
    public void RecordedProbabilitiesAreTheZoosPerHead(string file)
    {
        using var scope = NewDisposeScope();
        using var onnx = OnnxModel.Load(RepoPaths.Golden("onnx", file));
        using var zoo = Zoo();
        var x = SameMaps.VitInput();
        using var fromOnnx = new ActivationRecorder(onnx, AttentionLayers.Find(onnx).Select(n => (CamLayer)n).ToArray());
        using var fromZoo = new ActivationRecorder(zoo, AttentionLayers.Find(zoo).Select(n => (CamLayer)n).ToArray());
        using var noGrad = no_grad();
        fromOnnx.Start();
        fromZoo.Start();
        var logits = onnx.call(x);
        zoo.call(x);
        var actual = fromOnnx.CollectOutputs();
        var expected = fromZoo.CollectOutputs();
        for (int l = 0; l < 2; l++)
        {
            Assert.Equal(new long[] { 2, 2, 17, 17 }, actual[l].shape);
            Assert.True(TestTensors.MaxAbsDiff(actual[l], expected[l]) < 1e-5f, $"layer {l}: {TestTensors.MaxAbsDiff(actual[l], expected[l]):g3}");
        }
        var torchvision = NpyFile.Read(RepoPaths.Golden("vit", "vit_logits.npy"));
        Assert.True(TestTensors.MaxAbsDiff(logits, torchvision) < 1e-4f, "exposing the attention changed the logits");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MapsEqualTheZooVits(string file, string method)
    {
        using var scope = NewDisposeScope();
        using var onnx = OnnxModel.Load(RepoPaths.Golden("onnx", file));
        using var zoo = Zoo();
        var x = SameMaps.VitInput();
        var settings = new CamMethodSettings { Rollout = new RolloutOptions(DiscardRatio: 0.5) };
        using var zooCam = CamMethods.Create(method, zoo, Array.Empty<CamLayer>(), settings);
        using var onnxCam = CamMethods.Create(method, onnx, Array.Empty<CamLayer>(), settings);
        SameMaps.AssertEqual(zooCam, onnxCam, x, method, rawMaps: true);
    }

    [Theory]
    [InlineData("vit_opset14.onnx")]
    [InlineData("vit_opset17.onnx")]
    public void TheBlocksAreTheResidualSumsAfterEachMlpAndTheTailIsTheHead(string file)
    {
        using var scope = NewDisposeScope();
        using var onnx = OnnxModel.Load(RepoPaths.Golden("onnx", file));
        Assert.Equal(new[] { onnx.ToModulePath("/encoder/layers/encoder_layer_0/Add_1"), onnx.ToModulePath("/encoder/layers/encoder_layer_1/Add_1") },
            onnx.TokenBlocks);
        using var zoo = Zoo();
        var tokens = SameMaps.VitInput().mean(new long[] { 1 }).reshape(2, 64, 16)[.., ..17]; // any [2, 17, 16] tokens
        using var noGrad = no_grad();
        var expected = zoo.ClassifyTokens(tokens);
        var actual = onnx.ClassifyTokens(tokens);
        Assert.True(TestTensors.MaxAbsDiff(actual, expected) < 1e-5f, $"{TestTensors.MaxAbsDiff(actual, expected):g3}");
        Assert.False(tokens.IsInvalid);
    }

    [Fact]
    public void LeGradOnAGraphWithoutAttentionSaysSo()
    {
        using var onnx = OnnxModel.Load(RepoPaths.Golden("onnx", "shapesnet_opset17.onnx"));
        var e = Assert.Throws<ArgumentException>(() => CamMethods.Create("legrad", onnx, Array.Empty<CamLayer>()));
        Assert.Contains("exposes no attention probabilities", e.Message);
        var blocks = Assert.Throws<InvalidOperationException>(() => onnx.TokenBlocks);
        Assert.Contains("0 attention Softmax node(s)", blocks.Message);
    }
}
