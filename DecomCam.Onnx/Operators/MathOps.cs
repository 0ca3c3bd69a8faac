using DecomCamNet.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet.Onnx.Operators;

/// <summary>Element-wise Erf, Sqrt, Pow and Gelu, as the decomposed LayerNorm and GELU of transformer exports use them, and
/// Exp (the box sizes of YOLO-style detector heads).</summary>
internal static class MathOps
{
    public static OnnxKernel Erf(NodeContext node) => inputs => inputs[0]!.erf();

    public static OnnxKernel Sqrt(NodeContext node) => inputs => inputs[0]!.sqrt();

    public static OnnxKernel Exp(NodeContext node) => inputs => inputs[0]!.exp();

    /// <summary>Broadcasting power; the result keeps the base's type, as ONNX's does (torch would promote an integer base).</summary>
    public static OnnxKernel Pow(NodeContext node) => inputs =>
    {
        var x = inputs[0]!;
        var result = x.pow(inputs[1]!);
        if (result.dtype == x.dtype) return result;
        using (result) return result.to_type(x.dtype);
    };

    /// <summary>Gelu (opset 20): exact (<c>approximate="none"</c>) or the tanh approximation.</summary>
    public static OnnxKernel Gelu(NodeContext node)
    {
        string approximate = node.String("approximate", "none");
        if (approximate is not ("none" or "tanh")) throw node.Error($"approximate=\"{approximate}\" is not supported (none, tanh)");
        if (approximate == "none") return inputs => inputs[0]!.gelu();
        // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        return inputs =>
        {
            using var scope = NewDisposeScope();
            var x = inputs[0]!;
            var inner = x.pow(Three).mul(Cubic).add_(x, CachedScalars.One).mul_(Root2OverPi);
            return inner.tanh_().add_(CachedScalars.One, CachedScalars.One).mul_(x).mul_(Half).MoveToOuterDisposeScope();
        };
    }

    private static readonly Scalar Three = 3f.ToScalar();
    private static readonly Scalar Cubic = 0.044715f.ToScalar();
    private static readonly Scalar Root2OverPi = ((float)Math.Sqrt(2.0 / Math.PI)).ToScalar();
    private static readonly Scalar Half = 0.5f.ToScalar();
}
