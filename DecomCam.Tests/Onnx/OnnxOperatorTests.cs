using DecomCamNet.Onnx;
using DecomCamNet.Tests.Support;
using Xunit.Abstractions;

namespace DecomCamNet.Tests.Onnx;

/// <summary>
/// Hand-built graphs: forms that tf2onnx and older exporters write but PyTorch does not (auto_pad, attribute-style Clip,
/// opset-11 Softmax, NHWC transposes, every Resize coordinate mode, edge padding, transposed Gemm) and the transformer
/// operators outside the exported ViT's and Swin's forms (Gelu, LayerNormalization over two axes, bidirectional Expand,
/// ScatterND with a negative index, float Mod) agree with ONNX
/// Runtime; what is not supported fails at load with the node, operator and opset named.
/// </summary>
[Collection(OneDnnOffCollection.Name)]
public class OnnxOperatorTests(ITestOutputHelper output)
{
    public static TheoryData<string> Graphs() => new(Builders.Keys);

    private static readonly Dictionary<string, Func<OnnxGraphBuilder>> Builders = new()
    {
        ["conv same_upper stride 2, maxpool same_lower, clip attributes (opset 9)"] = () => new OnnxGraphBuilder(9, 1, 3, 15, 15)
            .Initializer("w", 8, 3, 3, 3).Initializer("b", 8)
            .Node("Conv", "conv", new[] { "x", "w", "b" }, ("auto_pad", "SAME_UPPER"), ("strides", new long[] { 2, 2 }))
            .Node("Clip", "clip", null, ("min", -0.5f), ("max", 1.5f))
            .Node("MaxPool", "pool", null, ("auto_pad", "SAME_LOWER"), ("kernel_shape", new long[] { 2, 2 }), ("strides", new long[] { 2, 2 })),
        ["conv asymmetric pads, averagepool asymmetric pads without them counted, softmax axis 1 (opset 11)"] = () => new OnnxGraphBuilder(11, 2, 4, 9, 9)
            .Initializer("w", 6, 4, 3, 3)
            .Node("Conv", "conv", new[] { "x", "w" }, ("pads", new long[] { 0, 1, 2, 1 }))
            .Node("AveragePool", "avg", null, ("kernel_shape", new long[] { 3, 3 }), ("pads", new long[] { 1, 0, 0, 2 }), ("strides", new long[] { 2, 2 }))
            .Node("Softmax", "softmax", null, ("axis", 1L)),
        ["nhwc transposes, edge pad, leaky relu, global max pool, transposed gemm (opset 13)"] = () => new OnnxGraphBuilder(13, 2, 5, 6, 3)
            .Ints("pads", 0, 0, 1, 2, 0, 0, 1, 0).Initializer("gw", 4, 3).Initializer("gb", 4)
            .Node("Transpose", "to_nchw", null, ("perm", new long[] { 0, 3, 1, 2 }))
            .Node("Pad", "pad", new[] { "to_nchw_out", "pads" }, ("mode", "edge"))
            .Node("LeakyRelu", "leaky", null, ("alpha", 0.2f))
            .Node("GlobalMaxPool", "gmp")
            .Node("Flatten", "flatten")
            .Node("Gemm", "gemm", new[] { "flatten_out", "gw", "gb" }, ("transB", 1L), ("alpha", 0.5f), ("beta", 2f)),
        ["resize linear align_corners then nearest half_pixel round_prefer_ceil (opset 13)"] = () => new OnnxGraphBuilder(13, 1, 2, 5, 7)
            .Ints("sizes", 1, 2, 9, 4).Initializer("scales", new[] { 1f, 1f, 1.5f, 2.5f }, 4)
            .Node("Resize", "up", new[] { "x", "", "", "sizes" }, ("mode", "linear"), ("coordinate_transformation_mode", "align_corners"))
            .Node("Resize", "nearest", new[] { "up_out", "", "scales" }, ("mode", "nearest"), ("coordinate_transformation_mode", "half_pixel"), ("nearest_mode", "round_prefer_ceil")),
        ["resize linear asymmetric and pytorch_half_pixel (opset 13)"] = () => new OnnxGraphBuilder(13, 1, 2, 6, 5)
            .Initializer("s1", new[] { 1f, 1f, 0.5f, 1.6f }, 4).Initializer("s2", new[] { 1f, 1f, 3f, 1f }, 4)
            .Node("Resize", "asym", new[] { "x", "", "s1" }, ("mode", "linear"), ("coordinate_transformation_mode", "asymmetric"))
            .Node("Resize", "pt", new[] { "asym_out", "", "s2" }, ("mode", "linear"), ("coordinate_transformation_mode", "pytorch_half_pixel")),
        ["split into channels reordered by concat, as ML.NET's RGB to BGR preprocessing (opset 9)"] = () => new OnnxGraphBuilder(9, 2, 3, 4, 5)
            .Node("Split", "split", 3, null, ("axis", 1L), ("split", new long[] { 1, 1, 1 }))
            .Node("Concat", "bgr", new[] { "split_out2", "split_out1", "split_out" }, ("axis", 1L)),
        ["split by sizes given as an input (opset 13)"] = () => new OnnxGraphBuilder(13, 1, 2, 5, 3).Ints("sizes", 2, 3)
            .Node("Split", "split", 2, new[] { "x", "sizes" }, ("axis", -2L))
            .Node("Concat", "swap", new[] { "split_out1", "split_out" }, ("axis", 2L)),
        ["split into num_outputs parts, the last one shorter (opset 18)"] = () => new OnnxGraphBuilder(18, 1, 2, 3, 5)
            .Node("Split", "split", 3, null, ("axis", 3L), ("num_outputs", 3L))
            .Node("Concat", "rotate", new[] { "split_out2", "split_out", "split_out1" }, ("axis", 3L)),
        ["transformer operators: layer norm over two axes, gelu tanh and exact, pow, sqrt, exp, erf, where/equal/expand (opset 20)"] = () =>
            new OnnxGraphBuilder(20, 2, 3, 4, 5)
            .Initializer("scale", 4, 5).Initializer("bias", 4, 5).Ints("two", 2).Ints("shape", 3, -1, 1, 1, 1).Ints("minus", -1).Ints("one", 1)
            .Node("LayerNormalization", "ln", new[] { "x", "scale", "bias" }, ("axis", -2L), ("epsilon", 1e-3f))
            .Node("Gelu", "gelu_tanh", null, ("approximate", "tanh"))
            .Node("Gelu", "gelu")
            .Node("Pow", "square", new[] { "gelu_out", "two" })
            .Node("Sqrt", "sqrt")
            .Node("Exp", "exp")
            .Node("Erf", "erf")
            .Node("Equal", "unknown", new[] { "shape", "minus" })
            .Node("Where", "resolved", new[] { "unknown_out", "one", "shape" })
            .Node("Expand", "expand", new[] { "erf_out", "resolved_out" }),
        ["scatternd with a negative index, then fmod against divisors of both signs (opset 16)"] = () => new OnnxGraphBuilder(16, 2, 3, 4, 5)
            .Ints("idx", 1, -1, 0, 2).Ints("idx_shape", 2, 2).Initializer("updates", 2, 4, 5)
            .Initializer("divisor", new[] { 0.3f, -0.7f, 1.1f, 0.5f, -0.9f }, 5)
            .Node("Reshape", "indices", new[] { "idx", "idx_shape" })
            .Node("ScatterND", "scatter", new[] { "x", "indices_out", "updates" })
            .Node("Mod", "mod", new[] { "scatter_out", "divisor" }, ("fmod", 1L)),
    };

    [Theory]
    [MemberData(nameof(Graphs))]
    public void HandBuiltGraphsMatchOnnxRuntime(string graph)
    {
        var builder = Builders[graph]();
        var path = builder.Save();
        try
        {
            var worst = OnnxParity.Compare(path, builder.InputShape, output);
            Assert.True(worst < 1e-5, $"worst scaled difference {worst:g3}");
        }
        finally { File.Delete(path); }
    }

    [Theory]
    [InlineData(13, "LSTM", "ONNX node 'n' (LSTM, opset 13): operator LSTM is not supported")]
    [InlineData(13, "HardSwish", "ONNX node 'n' (HardSwish, opset 13): HardSwish is supported from opset 14")]
    [InlineData(13, "Relu:bogus", "ONNX node 'n' (Relu, opset 13): attribute bogus not supported")]
    [InlineData(13, "MaxPool:storage_order", "ONNX node 'n' (MaxPool, opset 13): attribute storage_order=1 is not supported")]
    [InlineData(13, "Resize:cubic", "ONNX node 'n' (Resize, opset 13): Resize mode 'cubic' is not supported")]
    [InlineData(22, "Relu", "The model uses opset 22; the importer knows operators up to opset 21.")]
    public void UnsupportedFormsFailAtLoadNamingNodeOperatorAndOpset(long opset, string form, string message)
    {
        var parts = form.Split(':');
        var attributes = parts.Length == 1 ? Array.Empty<(string, object)>() : parts[1] switch
        {
            "bogus" => new (string, object)[] { ("bogus", 1L) },
            "storage_order" => new (string, object)[] { ("kernel_shape", new long[] { 2, 2 }), ("storage_order", 1L) },
            _ => new (string, object)[] { ("mode", "cubic") },
        };
        var inputs = parts[0] == "Resize" ? new[] { "x", "", "scales" } : null;
        var path = new OnnxGraphBuilder(opset, 1, 2, 4, 4).Initializer("scales", new[] { 1f, 1f, 2f, 2f }, 4)
            .Node(parts[0], "n", inputs, attributes).Save();
        try
        {
            var e = Assert.Throws<OnnxImportException>(() => OnnxModel.Load(path));
            Assert.StartsWith(message, e.Message);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void AFileThatIsNotOnnxFailsClearly()
    {
        using var stream = new MemoryStream(new byte[] { 0xFF, 0xFF, 0xFF, 0x01, 0x02 });
        var e = Assert.Throws<OnnxImportException>(() => OnnxModel.Load(stream));
        Assert.StartsWith("Not an ONNX model", e.Message);
    }
}
