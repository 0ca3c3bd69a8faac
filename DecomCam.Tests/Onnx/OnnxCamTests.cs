using DecomCamNet.Models;
using DecomCamNet.Onnx;
using DecomCamNet.Tests.Support;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Onnx;

/// <summary>
/// CAMs of an exported model equal those of the same TorchSharp zoo model: ShapesNet with detinit weights, exported by
/// PyTorch 1.13 (BatchNorm folded into the convolutions), explained at the node that ends block3, against the zoo's
/// ShapesNet at <c>block3</c>, for every method, within 1e-3.
/// </summary>
[Collection(OneDnnOffCollection.Name)]
public class OnnxCamTests(ITestOutputHelper output)
{
    /// <summary>Every method but CAM and FullGrad, which read TorchSharp's Linear, Conv2d and BatchNorm2d modules (an
    /// imported graph has Gemm and Conv nodes instead, and the export folds BatchNorm away), and the guided methods, which
    /// guide TorchSharp's ReLU modules (an imported graph has Relu nodes).</summary>
    public static TheoryData<string> OnnxMethods() => MethodFactory.AllBut("cam", "fullgrad", "guidedbackprop", "guidedgradcam");

    [Theory]
    [MemberData(nameof(OnnxMethods))]
    public void ExportedShapesNetGivesTheZooModelsMaps(string method)
    {
        using var scope = NewDisposeScope();
        using var zoo = DeterministicInit.FillModule(ModelZoo.Create("shapesnet", 4));
        using var onnx = OnnxModel.Load(RepoPaths.Golden("onnx", "shapesnet_opset17.onnx"));
        var x = DeterministicInit.Input(new long[] { 2, 3, 48, 48 });
        double diff = OnnxParity.CompareMaps(method, zoo, "block3", onnx, "/block3/block3.2/Relu", x, new[] { 1, 3 });
        output.WriteLine($"{method}: max |map difference| {diff:g3}");
        Assert.True(diff < 1e-3, $"{method}: max |map difference| {diff:g3}");
    }

    [Fact]
    public void GradientsReachTheInputAndTheInitializers()
    {
        using var scope = NewDisposeScope();
        using var model = OnnxModel.Load(RepoPaths.Golden("onnx", "opzoo_opset13.onnx"));
        var x = DeterministicInit.Input(new long[] { 1, 3, 32, 32 }).requires_grad_(true);
        model.call(x)[0, 2].backward();
        Assert.True(x.grad!.abs().sum().item<float>() > 0);
        var stem = model.named_parameters().Single(p => p.name == "stem_weight").parameter;
        Assert.True(stem.grad!.abs().sum().item<float>() > 0);
    }

    [Theory]
    [InlineData("cam", "final linear layer")]
    [InlineData("fullgrad", "bias")]
    [InlineData("guidedbackprop", "ReLU modules")]
    [InlineData("guidedgradcam", "ReLU modules")]
    public void MethodsThatNeedTorchSharpLayersSayWhatIsMissing(string method, string expected)
    {
        using var onnx = OnnxModel.Load(RepoPaths.Golden("onnx", "shapesnet_opset17.onnx"));
        var e = Assert.Throws<ArgumentException>(() => CamMethods.Create(method, onnx, new CamLayer[] { "/block3/block3.2/Relu" }));
        Assert.Contains(expected, e.Message);
    }
}
