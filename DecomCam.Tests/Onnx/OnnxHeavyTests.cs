using DecomCamNet.Models;
using DecomCamNet.Onnx;
using DecomCamNet.Tests.Support;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Onnx;

/// <summary>
/// The torchvision models that <c>reference/export_onnx_models.py --heavy out/onnx</c> exports (about 1.6 GB, not
/// committed): each matches ONNX Runtime, and the exported ResNet-18's maps equal the zoo ResNet-18's for every method. Run with
/// <c>dotnet test --filter Category=Heavy</c> after exporting; a missing file fails with the command that makes it.
/// </summary>
[Collection(OneDnnOffCollection.Name)]
[Trait("Category", "Heavy")]
public class OnnxHeavyTests(ITestOutputHelper output)
{
    private static string ModelsDirectory =>
        Environment.GetEnvironmentVariable("DECOMCAM_ONNX_MODELS") ?? Path.Combine(RepoPaths.Root, "out", "onnx");

    private static string ModelPath(string file)
    {
        var path = Path.Combine(ModelsDirectory, file);
        Assert.True(File.Exists(path), $"{path} is missing: run /usr/bin/python3 reference/export_onnx_models.py --heavy out/onnx");
        return path;
    }

    public static TheoryData<string> Models()
    {
        var data = new TheoryData<string>();
        foreach (var name in new[] { "resnet18", "resnet50", "vgg16", "mobilenet_v2", "densenet121", "efficientnet_b0" })
            foreach (var opset in new[] { 13, 17 })
                data.Add($"{name}_opset{opset}.onnx");
        return data;
    }

    [HeavyTheory]
    [MemberData(nameof(Models))]
    public void TorchvisionModelsMatchOnnxRuntime(string file)
    {
        var worst = OnnxParity.Compare(ModelPath(file), new long[] { 1, 3, 224, 224 }, output, maxLayers: 12);
        Assert.True(worst < 1e-4, $"worst scaled difference {worst:g3}");
    }

    [HeavyTheory]
    [MemberData(nameof(MethodFactory.All), MemberType = typeof(MethodFactory))]
    public void ExportedResNet18GivesTheZooModelsMaps(string method)
    {
        using var scope = NewDisposeScope();
        using var zoo = DeterministicInit.FillModule(ModelZoo.Create("resnet18"));
        using var onnx = OnnxModel.Load(ModelPath("resnet18_opset17.onnx"));
        var x = DeterministicInit.Input(new long[] { 1, 3, 224, 224 });
        double diff = OnnxParity.CompareMaps(method, zoo, "layer4", onnx, onnx.DefaultLayer().NodeName, x, 5);
        output.WriteLine($"{method}: default layer {onnx.DefaultLayer().NodeName}, max |map difference| {diff:g3}");
        Assert.True(diff < 1e-3, $"{method}: max |map difference| {diff:g3}");
    }

    /// <summary>A theory that is skipped, with the command to run, where the exported models' folder does not exist.</summary>
    private sealed class HeavyTheoryAttribute : TheoryAttribute
    {
        public HeavyTheoryAttribute()
        {
            if (!Directory.Exists(ModelsDirectory))
                Skip = $"{ModelsDirectory} does not exist: /usr/bin/python3 reference/export_onnx_models.py --heavy out/onnx";
        }
    }
}
