using DecomCamNet.Native;

using static TorchSharp.torch;

namespace DecomCamNet.Onnx.Operators;

/// <summary>Broadcasting Add, Sub, Mul, Div and Mod; integer Div truncates, as ONNX's does.</summary>
internal static class ArithmeticOps
{
    public static OnnxKernel Add(NodeContext node) => inputs => inputs[0]!.add(inputs[1]!, CachedScalars.One);

    public static OnnxKernel Sub(NodeContext node) => inputs => inputs[0]!.sub(inputs[1]!);

    public static OnnxKernel Mul(NodeContext node) => inputs => inputs[0]!.mul(inputs[1]!);

    public static OnnxKernel Div(NodeContext node) => inputs =>
        inputs[0]!.is_floating_point() ? inputs[0]!.div(inputs[1]!) : inputs[0]!.div(inputs[1]!, RoundingMode.trunc);

    /// <summary>Mod: with <c>fmod=0</c> (integers only) the remainder takes the divisor's sign, with <c>fmod=1</c> the dividend's.</summary>
    public static OnnxKernel Mod(NodeContext node)
    {
        bool fmod = node.Int("fmod", 0) != 0;
        return inputs => fmod ? inputs[0]!.fmod(inputs[1]!) : inputs[0]!.remainder(inputs[1]!);
    }
}
