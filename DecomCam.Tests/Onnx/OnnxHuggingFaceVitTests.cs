using DecomCamNet.Cam;
using DecomCamNet.Imaging;
using DecomCamNet.Models;
using DecomCamNet.Onnx;
using DecomCamNet.Tests.Support;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Onnx;

/// <summary>
/// A Hugging Face-style ViT (reference/export_onnx_hf_vit.py: ViTForImageClassification's computation and names,
/// separate query/key/value projections, scores matmul(q, kᵀ)/√d and a Softmax over [N, heads, T, T], LayerNorm ε 1e-12)
/// on the reduced seeded weights of vit_hf.safetensors, exported at opsets 14 and 17: the importer's logits, default
/// token layer and attention probabilities equal ONNX Runtime's, the logits equal the Python module's and the zoo ViT's
/// (loaded through the Hugging Face key mapping), and Grad-CAM on the default layer and the attention methods through
/// the Softmax nodes give the zoo ViT's maps.
/// </summary>
[Collection(OneDnnOffCollection.Name)]
public class OnnxHuggingFaceVitTests
{
    /// <summary>Each export with the node that outputs the last block's layernorm_before.</summary>
    public static TheoryData<string, string> Exports() => new()
    {
        { "vit_hf_opset14.onnx", "/vit/encoder/layer.1/layernorm_before/Add_1" },
        { "vit_hf_opset17.onnx", "/vit/encoder/layer.1/layernorm_before/LayerNormalization" },
    };

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var file in new[] { "vit_hf_opset14.onnx", "vit_hf_opset17.onnx" })
            foreach (var method in new[] { "rollout", "gradrollout", "chefer", "legrad" })
                data.Add(file, method);
        return data;
    }

    private static VisionTransformer Zoo() => VitLoader.LoadHuggingFace(RepoPaths.Golden("vit", "vit_hf.safetensors"), heads: 2);

    [Theory]
    [InlineData("vit_hf_opset14.onnx")]
    [InlineData("vit_hf_opset17.onnx")]
    public void LogitsEqualThePythonModuleAndTheZooVit(string file)
    {
        using var scope = NewDisposeScope();
        using var onnx = OnnxModel.Load(RepoPaths.Golden("onnx", file));
        using var zoo = Zoo();
        using var noGrad = no_grad();
        var x = SameMaps.VitInput();
        var actual = onnx.call(x);
        var golden = NpyFile.Read(RepoPaths.Golden("vit", "vit_hf_logits.npy"));
        Assert.Equal(new long[] { 2, 10 }, actual.shape);
        Assert.True(golden.abs().max().item<float>() > 0.5f, "the golden logits are near zero");
        Assert.True(TestTensors.MaxAbsDiff(actual, golden) < 1e-4f, $"vs the Python module: {TestTensors.MaxAbsDiff(actual, golden):g3}");
        var fromZoo = zoo.call(x);
        Assert.True(TestTensors.MaxAbsDiff(fromZoo, golden) < 1e-4f, $"zoo vs the Python module: {TestTensors.MaxAbsDiff(fromZoo, golden):g3}");
        Assert.True(TestTensors.MaxAbsDiff(actual, fromZoo) < 1e-4f, $"vs zoo: {TestTensors.MaxAbsDiff(actual, fromZoo):g3}");
    }

    [Theory]
    [MemberData(nameof(Exports))]
    public void OutputDefaultLayerAndAttentionEqualOnnxRuntime(string file, string lastNorm)
    {
        using var scope = NewDisposeScope();
        var path = RepoPaths.Golden("onnx", file);
        using var onnx = OnnxModel.Load(path);
        var softmaxes = onnx.Nodes.Where(n => n.OpType == "Softmax").Select(n => n.OutputName).ToList();
        Assert.Equal(2, softmaxes.Count);
        var names = softmaxes.Prepend(onnx.Nodes.Single(n => n.NodeName == lastNorm).OutputName).ToList();
        var x = SameMaps.VitInput();
        Tensor logits;
        IReadOnlyList<Tensor> recorded;
        using (var recorder = new ActivationRecorder(onnx, names.Select(n => (CamLayer)n).ToList()))
        using (no_grad())
        {
            recorder.Start();
            logits = onnx.call(x);
            recorded = recorder.CollectOutputs();
        }
        var reference = OnnxRuntimeReference.Run(path, onnx.InputName, x.contiguous().data<float>().ToArray(), x.shape, names.Prepend(onnx.OutputName).ToList());
        foreach (var (name, mine) in names.Prepend(onnx.OutputName).Zip(recorded.Prepend(logits)))
        {
            var (values, shape) = reference[name];
            Assert.Equal(shape, mine.shape);
            var expected = tensor(values).reshape(shape);
            Assert.True(TestTensors.MaxAbsDiff(mine, expected) < 1e-5f, $"{name}: {TestTensors.MaxAbsDiff(mine, expected):g3}");
        }
        Assert.Equal(new long[] { 2, 2, 17, 17 }, reference[softmaxes[1]].Shape);
    }

    [Theory]
    [MemberData(nameof(Exports))]
    public void GradCamOnTheDefaultTokenLayerEqualsTheZooVit(string file, string lastNorm)
    {
        using var scope = NewDisposeScope();
        using var onnx = OnnxModel.Load(RepoPaths.Golden("onnx", file));
        using var zoo = Zoo();
        var x = SameMaps.VitInput();
        var chosen = onnx.DefaultLayer(x.shape);
        Assert.Equal(lastNorm, chosen.NodeName);
        Assert.Equal(new ActivationReshape(ActivationLayout.Tokens, 1, 4, 4), chosen.Reshape);
        using var zooCam = new GradCam(zoo, ((CamLayer)"encoder.layers.encoder_layer_1.ln_1").WithReshape(ActivationReshape.Vit));
        using var onnxCam = new GradCam(onnx, ((CamLayer)chosen.NodeName).WithReshape(chosen.Reshape));
        SameMaps.AssertEqual(zooCam, onnxCam, x, "gradcam", rawMaps: false);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void AttentionMapsThroughTheSoftmaxNodesEqualTheZooVits(string file, string method)
    {
        using var scope = NewDisposeScope();
        using var onnx = OnnxModel.Load(RepoPaths.Golden("onnx", file));
        var layers = AttentionLayers.Find(onnx);
        Assert.True(layers.Count == 2, string.Join(" ", layers));
        Assert.Contains("layer_0_attention", layers[0]);
        Assert.Contains("layer_1_attention", layers[1]);
        using var zoo = Zoo();
        var x = SameMaps.VitInput();
        var settings = new CamMethodSettings { Rollout = new RolloutOptions(DiscardRatio: 0.5) };
        using var zooCam = CamMethods.Create(method, zoo, Array.Empty<CamLayer>(), settings);
        using var onnxCam = CamMethods.Create(method, onnx, Array.Empty<CamLayer>(), settings);
        SameMaps.AssertEqual(zooCam, onnxCam, x, method, rawMaps: true);
    }
}
