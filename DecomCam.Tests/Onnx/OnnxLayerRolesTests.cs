using DecomCamNet.Onnx;
using DecomCamNet.Tests.Support;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Onnx;

/// <summary>
/// CAM reads an imported Gemm node's weight, Deep Feature Factorization its weight and bias, and FullGrad the biases of Conv and unfolded BatchNormalization nodes: on a
/// hand-built graph (conv with bias → batch norm → ReLU → global average pool → flatten → Gemm with alpha 0.5 and an
/// untransposed weight) both give the maps of the same network built from TorchSharp modules with the graph's weights.
/// </summary>
[Collection(OneDnnOffCollection.Name)]
public class OnnxLayerRolesTests
{
    private static readonly float[] Variances = { 0.5f, 1.5f, 0.8f, 2.0f, 1.1f, 0.3f };

    [Theory]
    [InlineData("cam")]
    [InlineData("fullgrad")]
    [InlineData("dff")]
    public void ImportedLinearAndBiasNodesGiveTheModuleNetworksMaps(string method)
    {
        using var scope = NewDisposeScope();
        var path = new OnnxGraphBuilder(13, 2, 3, 12, 12)
            .Initializer("w", 6, 3, 3, 3).Initializer("b", 6)
            .Initializer("gamma", 6).Initializer("beta", 6).Initializer("mu", 6).Initializer("var", Variances, 6)
            .Initializer("gw", 6, 4).Initializer("gb", 4)
            .Node("Conv", "conv", new[] { "x", "w", "b" }, ("pads", new long[] { 1, 1, 1, 1 }))
            .Node("BatchNormalization", "bn", new[] { "conv_out", "gamma", "beta", "mu", "var" }, ("epsilon", 1e-3f))
            .Node("Relu", "relu")
            .Node("GlobalAveragePool", "gap")
            .Node("Flatten", "flatten")
            .Node("Gemm", "fc", new[] { "flatten_out", "gw", "gb" }, ("alpha", 0.5f))
            .Save();
        try
        {
            using var onnx = OnnxModel.Load(path);
            using var twin = new Twin(onnx);
            var x = DeterministicInit.Input(new long[] { 2, 3, 12, 12 });
            using var imported = CamMethods.Create(method, onnx, new CamLayer[] { "relu" });
            using var modules = CamMethods.Create(method, twin, new CamLayer[] { "relu" });
            using var a = imported.Explain(x, new[] { 1, 3 });
            using var b = modules.Explain(x, new[] { 1, 3 });
            // The same float32 operations on the same values; only the weight's transposition and the folded alpha differ in rounding.
            Assert.True(TestTensors.MaxAbsDiff(a.Maps, b.Maps) < 1e-5f, $"max |difference| {TestTensors.MaxAbsDiff(a.Maps, b.Maps):g3}");
            Assert.True(a.Maps.std().item<float>() > 0.05f, "the maps are not flat");
            if (method == "fullgrad") Assert.Equal(new[] { "conv", "bn" }, a.LayerNames);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void AGraphWithoutLinearOrBiasNodesSaysWhatIsMissing()
    {
        var path = new OnnxGraphBuilder(13, 1, 3, 8, 8).Initializer("w", 4, 3, 3, 3)
            .Node("Conv", "conv", new[] { "x", "w" }).Node("Relu", "relu").Save();
        try
        {
            using var onnx = OnnxModel.Load(path);
            Assert.Contains("final linear layer", Assert.Throws<ArgumentException>(() => CamMethods.Create("cam", onnx, new CamLayer[] { "relu" })).Message);
            Assert.Contains("bias", Assert.Throws<ArgumentException>(() => CamMethods.Create("fullgrad", onnx, new CamLayer[] { "relu" })).Message);
        }
        finally { File.Delete(path); }
    }

    /// <summary>The graph as TorchSharp modules with its initializers.</summary>
    private sealed class Twin : nn.Module<Tensor, Tensor>
    {
        private readonly Conv2d conv = nn.Conv2d(3, 6, 3, padding: 1);
        private readonly BatchNorm2d bn = nn.BatchNorm2d(6, eps: 1e-3);
        private readonly ReLU relu = nn.ReLU();
        private readonly Linear fc = nn.Linear(6, 4);

        public Twin(OnnxModel graph) : base(nameof(Twin))
        {
            RegisterComponents();
            using var noGrad = no_grad();
            conv.weight!.copy_(graph.get_parameter("w")!);
            conv.bias!.copy_(graph.get_parameter("b")!);
            bn.weight!.copy_(graph.get_parameter("gamma")!);
            bn.bias!.copy_(graph.get_parameter("beta")!);
            bn.running_mean!.copy_(graph.get_parameter("mu")!);
            bn.running_var!.copy_(graph.get_parameter("var")!);
            fc.weight!.copy_(graph.get_parameter("gw")!.t() * 0.5f);
            fc.bias!.copy_(graph.get_parameter("gb")!);
            eval();
        }

        public override Tensor forward(Tensor x) => fc.call(relu.call(bn.call(conv.call(x))).mean(new long[] { 2, 3 }));
    }
}
