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

    /// <summary>
    /// Every method but Finer-CAM and UnionCAM: on these untrained weights the softmax is saturated, so the classes
    /// nearest the target have probability 0 and Finer-CAM has no gradient on either model, and UnionCAM's map comes out
    /// flat on both (std below 0.01); both are compared on ShapesNet in every run.
    /// <c>DECOMCAM_HEAVY_METHODS=a,b</c> runs only those (the masked ones take minutes each).
    /// </summary>
    public static TheoryData<string> ResNet18Methods()
    {
        var only = Environment.GetEnvironmentVariable("DECOMCAM_HEAVY_METHODS")?.Split(',', StringSplitOptions.TrimEntries);
        var data = new TheoryData<string>();
        foreach (var method in CamMethods.Names.Except(CamMethods.AttentionMethods).Where(m => m is not ("finercam" or "unioncam") && (only is null || only.Contains(m)))) data.Add(method);
        return data;
    }

    [HeavyTheory]
    [MemberData(nameof(ResNet18Methods))]
    public void ExportedResNet18GivesTheZooModelsMaps(string method)
    {
        using var scope = NewDisposeScope();
        using var zoo = DeterministicInit.FillModule(ModelZoo.Create("resnet18"));
        using var onnx = OnnxModel.Load(ModelPath("resnet18_opset17.onnx"));
        var x = DeterministicInit.Input(new long[] { 1, 3, 224, 224 });
        // SS-CAM and IS-CAM with 2 samples, as the goldens take them on ResNet-18: their defaults are 35 and 10 passes
        // over 512 channels, hours on two cores.
        var settings = new CamMethodSettings { BatchSize = 32, Samples = method is "sscam" or "iscam" ? 2 : null };
        double diff = OnnxParity.CompareMaps(method, zoo, "layer4", onnx, onnx.DefaultLayer().NodeName, x, 5, settings);
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
