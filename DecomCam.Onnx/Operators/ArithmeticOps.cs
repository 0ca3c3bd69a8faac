using DecomCamNet.Native;

using static TorchSharp.torch;

namespace DecomCamNet.Onnx.Operators;

/// <summary>Broadcasting Add, Sub, Mul and Div; integer Div truncates, as ONNX's does.</summary>
internal static class ArithmeticOps
{
    public static OnnxKernel Add(NodeContext node) => inputs => inputs[0]!.add(inputs[1]!, CachedScalars.One);

    public static OnnxKernel Sub(NodeContext node) => inputs => inputs[0]!.sub(inputs[1]!);

    public static OnnxKernel Mul(NodeContext node) => inputs => inputs[0]!.mul(inputs[1]!);

    public static OnnxKernel Div(NodeContext node) => inputs =>
        inputs[0]!.is_floating_point() ? inputs[0]!.div(inputs[1]!) : inputs[0]!.div(inputs[1]!, RoundingMode.trunc);
}
