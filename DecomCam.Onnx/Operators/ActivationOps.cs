using DecomCamNet.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet.Onnx.Operators;

/// <summary>Element-wise activations and Softmax. Numbers handed to torch are scalars held by the kernel, not made per call.</summary>
internal static class ActivationOps
{
    private static readonly Scalar Zero = 0f.ToScalar();

    public static OnnxKernel Relu(NodeContext node) => inputs => inputs[0]!.relu();

    public static OnnxKernel Sigmoid(NodeContext node) => inputs => inputs[0]!.sigmoid();

    public static OnnxKernel Tanh(NodeContext node) => inputs => inputs[0]!.tanh();

    public static OnnxKernel HardSwish(NodeContext node) => inputs => inputs[0]!.hardswish();

    public static OnnxKernel LeakyRelu(NodeContext node)
    {
        var slope = node.Float("alpha", 0.01f).ToScalar();
        return inputs => inputs[0]!.leaky_relu(slope);
    }

    public static OnnxKernel PRelu(NodeContext node) => inputs =>
    {
        var x = inputs[0]!;
        using var negative = x.lt(Zero);
        using var scaled = x.mul(inputs[1]!);
        return where(negative, scaled, x);
    };

    public static OnnxKernel HardSigmoid(NodeContext node)
    {
        float alpha = node.Float("alpha", 0.2f), beta = node.Float("beta", 0.5f);
        Scalar a = alpha.ToScalar(), b = beta.ToScalar(), one = 1f.ToScalar();
        return inputs =>
        {
            using var linear = inputs[0]!.mul(a).add_(b, CachedScalars.One);
            return linear.clamp(Zero, one);
        };
    }

    public static OnnxKernel Clip(NodeContext node)
    {
        if (node.Opset < 11)
        {
            Scalar low = node.Float("min", float.MinValue).ToScalar(), high = node.Float("max", float.MaxValue).ToScalar();
            return inputs => inputs[0]!.clamp(low, high);
        }
        return inputs => inputs[0]!.clamp(inputs.Count > 1 ? inputs[1] : null, inputs.Count > 2 ? inputs[2] : null);
    }

    public static OnnxKernel Softmax(NodeContext node)
    {
        long axis = node.Int("axis", node.Opset >= 13 ? -1 : 1);
        if (node.Opset >= 13) return inputs => inputs[0]!.softmax(axis);
        // Before opset 13 Softmax flattens the input to 2-D at the axis and normalises each row.
        return inputs =>
        {
            var x = inputs[0]!;
            long a = axis < 0 ? axis + x.dim() : axis;
            if (a == x.dim() - 1) return x.softmax(-1);
            using var rows = x.reshape(x.shape[..(int)a].Aggregate(1L, (p, d) => p * d), -1);
            using var normalised = rows.softmax(1);
            return normalised.reshape(x.shape);
        };
    }
}
