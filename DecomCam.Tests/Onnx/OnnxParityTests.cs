using DecomCamNet.Cam;
using DecomCamNet.Onnx;
using DecomCamNet.Tests.Support;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Onnx;

/// <summary>
/// The importer against ONNX Runtime on models that reference/export_onnx_models.py exported from PyTorch 1.13 with
/// detinit weights (opsets 13 and 17, dynamic batch): the output and the output of every node that produces a feature
/// map agree within 1e-4 for a batch of two (measured: under 1e-5).
/// </summary>
[Collection(OneDnnOffCollection.Name)]
public class OnnxParityTests(ITestOutputHelper output)
{
    public static TheoryData<string, int> SmallModels() => new()
    {
        { "shapesnet_opset13.onnx", 48 }, { "shapesnet_opset17.onnx", 48 },
        { "opzoo_opset13.onnx", 32 }, { "opzoo_opset17.onnx", 32 },
        { "vit_opset14.onnx", 32 }, { "vit_opset17.onnx", 32 },
        { "vit_hf_opset14.onnx", 32 }, { "vit_hf_opset17.onnx", 32 },
        { "swin_opset17.onnx", 56 },
    };

    [Theory]
    [MemberData(nameof(SmallModels))]
    public void OutputAndFeatureMapsMatchOnnxRuntime(string file, int size)
    {
        var worst = OnnxParity.Compare(RepoPaths.Golden("onnx", file), new long[] { 2, 3, size, size }, output);
        Assert.True(worst < 1e-4, $"worst scaled difference {worst:g3}");
    }
}

/// <summary>Runs a model through the importer (recording feature maps by tensor name) and through ONNX Runtime.</summary>
internal static class OnnxParity
{
    /// <summary>
    /// The largest difference over the output and the chosen feature-map nodes' outputs, each divided by max(1, the
    /// tensor's largest magnitude): deep untrained networks reach activations of 50 and more, where float32 rounding
    /// alone (different summation orders in libtorch and ONNX Runtime) moves values by more than 1e-4.
    /// </summary>
    public static double Compare(string path, long[] shape, ITestOutputHelper output, int maxLayers = int.MaxValue)
    {
        using var scope = NewDisposeScope();
        using var model = OnnxModel.Load(path);
        var layers = model.ExplainableLayers(shape);
        var chosen = layers.Where((l, i) => (i % Math.Max(1, layers.Count / Math.Min(maxLayers, layers.Count)) == 0 || i == layers.Count - 1)
            && l.OutputName != model.OutputName).ToList();
        var x = DeterministicInit.Input(shape);
        Tensor result;
        IReadOnlyList<Tensor> maps;
        using (var recorder = new ActivationRecorder(model, chosen.Select(l => (CamLayer)l.OutputName).ToList()))
        using (no_grad())
        {
            recorder.Start();
            result = model.call(x);
            maps = recorder.CollectOutputs();
        }
        var names = chosen.Select(l => l.OutputName).Prepend(model.OutputName).ToList();
        var reference = OnnxRuntimeReference.Run(path, model.InputName, x.data<float>().ToArray(), shape, names);
        double worst = 0;
        foreach (var (name, mine) in names.Zip(maps.Prepend(result)))
        {
            var (values, refShape) = reference[name];
            Assert.Equal(refShape, mine.shape);
            var ours = mine.contiguous().data<float>().ToArray();
            double diff = ours.Zip(values, (a, b) => Math.Abs((double)a - b)).Max();
            double scale = values.Max(v => Math.Abs((double)v));
            output.WriteLine($"{name} [{string.Join(",", refShape)}]: max |diff| {diff:g3} (max |value| {scale:g3})");
            worst = Math.Max(worst, diff / Math.Max(1, scale));
        }
        output.WriteLine($"{Path.GetFileName(path)}: {model.Nodes.Count} nodes, worst scaled difference {worst:g3}");
        return worst;
    }

    /// <summary>The largest difference between the maps of <paramref name="method"/> on a zoo model and on its ONNX export.</summary>
    public static double CompareMaps(string method, nn.Module<Tensor, Tensor> zoo, string zooLayer, OnnxModel onnx, string onnxLayer, Tensor x, CamTarget target,
        CamMethodSettings? settings = null)
    {
        using var scope = NewDisposeScope();
        settings ??= new CamMethodSettings { BatchSize = 32 };
        using var zooCam = CamMethods.Create(method, zoo, new CamLayer[] { zooLayer }, settings);
        using var onnxCam = CamMethods.Create(method, onnx, new CamLayer[] { onnxLayer }, settings);
        using var expected = zooCam.Explain(x, target);
        using var actual = onnxCam.Explain(x, target);
        Assert.Equal(expected.Maps.shape, actual.Maps.shape);
        // Equal flat maps would prove nothing.
        Assert.True(expected.Maps.std().item<float>() > 1e-2f, $"{method}: the zoo model's maps are flat");
        return (expected.Maps - actual.Maps).abs().max().item<float>();
    }
}
