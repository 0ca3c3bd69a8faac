using DecomCamNet.Models;
using DecomCamNet.Onnx;
using DecomCamNet.Tests.Support;
using TorchSharp;
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
    [Theory]
    [MemberData(nameof(MethodFactory.All), MemberType = typeof(MethodFactory))]
    public void ExportedShapesNetGivesTheZooModelsMaps(string method)
    {
        using var scope = NewDisposeScope();
        using var zoo = DeterministicInit.FillModule(ModelZoo.Create("shapesnet", 4));
        if (method == "fullgrad") FoldBatchNorms(zoo);
        using var onnx = OnnxModel.Load(RepoPaths.Golden("onnx", "shapesnet_opset17.onnx"));
        var x = DeterministicInit.Input(new long[] { 2, 3, 48, 48 });
        double diff = OnnxParity.CompareMaps(method, zoo, "block3", onnx, "/block3/block3.2/Relu", x, new[] { 1, 3 });
        output.WriteLine($"{method}: max |map difference| {diff:g3}");
        Assert.True(diff < 1e-3, $"{method}: max |map difference| {diff:g3}");
    }

    /// <summary>
    /// FullGrad is not invariant under folding: ShapesNet's convolutions have biases before their batch norms, so the zoo
    /// model has six bias layers and the export three (each conv's bias folded with its batch norm's). Folded the same
    /// way in the zoo model (batch norms become identities with zero bias), both have the same bias terms.
    /// </summary>
    private static void FoldBatchNorms(nn.Module model)
    {
        using var noGrad = no_grad();
        var modules = model.named_modules().ToDictionary(m => m.name, m => m.module);
        foreach (var block in new[] { "block1", "block2", "block3" })
        {
            var conv = (TorchSharp.Modules.Conv2d)modules[block + ".0"];
            var bn = (TorchSharp.Modules.BatchNorm2d)modules[block + ".1"];
            using var scale = bn.weight! / (bn.running_var! + bn.eps).sqrt();
            conv.weight!.mul_(scale.reshape(-1, 1, 1, 1));
            conv.bias!.sub_(bn.running_mean!).mul_(scale).add_(bn.bias!);
            using Scalar one = 1f, variance = 1 - bn.eps;
            bn.weight!.fill_(one);
            bn.bias!.zero_();
            bn.running_mean!.zero_();
            bn.running_var!.fill_(variance);
        }
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
}
