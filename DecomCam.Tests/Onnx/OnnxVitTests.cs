using DecomCamNet.Cam;
using DecomCamNet.Imaging;
using DecomCamNet.Models;
using DecomCamNet.Onnx;
using DecomCamNet.Tests.Support;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Onnx;

/// <summary>
/// The reduced seeded torchvision ViT (reference/vit_reference.py) exported by reference/export_onnx_transformers.py at
/// opsets 14 (LayerNorm decomposed) and 17 (LayerNormalization): its logits equal torchvision's and the zoo ViT's on the
/// same weights, its token layers get their reshape inferred (4×4 patch grid, one class token), and Grad-CAM on the last
/// block's first norm equals the zoo ViT's map.
/// </summary>
[Collection(OneDnnOffCollection.Name)]
public class OnnxVitTests
{
    /// <summary>Each export with the node that outputs the last block's ln_1.</summary>
    public static TheoryData<string, string> Exports() => new()
    {
        { "vit_opset14.onnx", "/encoder/layers/encoder_layer_1/ln_1/Add_1" },
        { "vit_opset17.onnx", "/encoder/layers/encoder_layer_1/ln_1/LayerNormalization" },
    };

    private static VisionTransformer Zoo() => VitLoader.LoadTorchvision(RepoPaths.Golden("vit", "vit_torchvision.safetensors"), heads: 2);

    [Theory]
    [InlineData("vit_opset14.onnx")]
    [InlineData("vit_opset17.onnx")]
    public void LogitsEqualTorchvisionAndTheZooVit(string file)
    {
        using var scope = NewDisposeScope();
        using var onnx = OnnxModel.Load(RepoPaths.Golden("onnx", file));
        using var zoo = Zoo();
        using var noGrad = no_grad();
        var x = SameMaps.VitInput();
        var actual = onnx.call(x);
        var torchvision = NpyFile.Read(RepoPaths.Golden("vit", "vit_logits.npy"));
        Assert.Equal(new long[] { 2, 10 }, actual.shape);
        Assert.True(TestTensors.MaxAbsDiff(actual, torchvision) < 1e-4f, $"vs torchvision: {TestTensors.MaxAbsDiff(actual, torchvision):g3}");
        var fromZoo = zoo.call(x);
        Assert.True(TestTensors.MaxAbsDiff(actual, fromZoo) < 1e-4f, $"vs zoo: {TestTensors.MaxAbsDiff(actual, fromZoo):g3}");
    }

    [Theory]
    [MemberData(nameof(Exports))]
    public void TokenLayersGetTheirReshapeInferredAndFeatureMapsNone(string file, string lastNorm)
    {
        using var onnx = OnnxModel.Load(RepoPaths.Golden("onnx", file));
        Assert.Equal(new ActivationReshape(ActivationLayout.Tokens, 1, 4, 4), onnx.InferReshape(lastNorm));
        Assert.Equal(new ActivationReshape(ActivationLayout.Tokens, 1, 4, 4), onnx.InferReshape(lastNorm, [2, 3, 32, 32]));
        Assert.Equal(ActivationReshape.None, onnx.InferReshape("/conv_proj/Conv"));
    }

    [Fact]
    public void TokenGridTakesTheLeftoverTokensAsPrefixAndRefusesImplausibleCounts()
    {
        Assert.Equal(new ActivationReshape(ActivationLayout.Tokens, 1, 14, 14), TokenGrid.Infer(197, 224, 224, "l"));
        Assert.Equal(new ActivationReshape(ActivationLayout.Tokens, 5, 16, 16), TokenGrid.Infer(261, 224, 224, "l"));  // 14-pixel patches, class + 4 registers
        Assert.Equal(new ActivationReshape(ActivationLayout.Tokens, 0, 7, 7), TokenGrid.Infer(49, 224, 224, "l"));
        Assert.Equal(new ActivationReshape(ActivationLayout.Tokens, 2, 12, 16), TokenGrid.Infer(194, 192, 256, "l"));
        var e = Assert.Throws<ArgumentException>(() => TokenGrid.Infer(144, 32, 32, "tokens"));
        Assert.Contains("'tokens' outputs 144 tokens", e.Message);
    }

    [Theory]
    [MemberData(nameof(Exports))]
    public void GradCamOnTheLastNormEqualsTheZooVit(string file, string lastNorm)
    {
        using var scope = NewDisposeScope();
        using var onnx = OnnxModel.Load(RepoPaths.Golden("onnx", file));
        using var zoo = Zoo();
        var x = SameMaps.VitInput();
        using var zooCam = new GradCam(zoo, ((CamLayer)"encoder.layers.encoder_layer_1.ln_1").WithReshape(ActivationReshape.Vit));
        using var onnxCam = new GradCam(onnx, ((CamLayer)lastNorm).WithReshape(onnx.InferReshape(lastNorm, x.shape)));
        SameMaps.AssertEqual(zooCam, onnxCam, x, "gradcam", rawMaps: false);
    }

    [Theory]
    [MemberData(nameof(Exports))]
    public void TheDefaultLayerIsTheLastBlocksFirstNormAndTokenLayersAreListedOnTheirGrid(string file, string lastNorm)
    {
        using var onnx = OnnxModel.Load(RepoPaths.Golden("onnx", file));
        var chosen = onnx.DefaultLayer();
        Assert.Equal(lastNorm, chosen.NodeName);
        Assert.Equal(new ActivationReshape(ActivationLayout.Tokens, 1, 4, 4), chosen.Reshape);
        Assert.Equal(new long[] { 2, 16, 4, 4 }, onnx.DefaultLayer([2, 3, 32, 32]).FeatureMapShape);

        var layers = onnx.ExplainableLayers(withTokens: true);
        Assert.EndsWith("[1,17,16] -> [1,16,4,4]", Assert.Single(layers, l => l.NodeName == lastNorm).ToString());
        var patches = Assert.Single(layers, l => l.NodeName == "/conv_proj/Conv");
        Assert.Equal(ActivationReshape.None, patches.Reshape);
        Assert.EndsWith("[1,16,4,4]", patches.ToString());
        Assert.DoesNotContain(layers, l => l.OutputShape!.Length == 3 && l.OutputShape[0] != 1); // sequence-first [T,N,C] and [N·heads,T,T] are no token layers
        Assert.True(layers.Count(l => l.OutputShape!.Length == 3) >= 8, "the blocks' token layers are listed");
        Assert.Equal(new[] { "/conv_proj/Conv" }, onnx.ExplainableLayers().Select(l => l.NodeName));
    }
}
