using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;
using DecomCamNet.Native;

namespace DecomCamNet.Onnx.Operators;

/// <summary>The operators with weights: Conv, BatchNormalization (inference), Gemm, MatMul.</summary>
internal static class ConvolutionOps
{
    public static OnnxKernel Conv(NodeContext node)
    {
        var weight = node.ConstantInput(1);
        var kernel = node.Ints("kernel_shape") ?? weight?.shape[2..];
        if (kernel is null) throw node.Error("kernel_shape is not given and the weight is not a constant");
        if (kernel.Length != 2) throw node.Error($"only 2-D convolutions are supported; this kernel has {kernel.Length} dimensions");
        var padding = new SpatialPadding(node, kernel);
        long groups = node.Int("group", 1);
        return inputs =>
        {
            var x = inputs[0]!;
            RequireRank(node, x, 4);
            var (begin, end) = padding.For(x.shape.AsSpan(2));
            if (begin.SequenceEqual(end))
                return OneDnnSafeConvolution.Conv2d(x, inputs[1]!, inputs.Count > 2 ? inputs[2] : null, padding.Strides, begin, padding.Dilations, groups);
            using var padded = F.pad(x, SpatialPadding.TorchOrder(begin, end));
            return OneDnnSafeConvolution.Conv2d(padded, inputs[1]!, inputs.Count > 2 ? inputs[2] : null, padding.Strides, new long[2], padding.Dilations, groups);
        };
    }

    public static OnnxKernel BatchNormalization(NodeContext node)
    {
        double epsilon = node.Float("epsilon", 1e-5f);
        node.Float("momentum", 0.9f);                     // only used when training
        node.Expect("spatial", 1);
        node.Expect("training_mode", 0);
        if (node.Opset < 7) node.Expect("is_test", 1);
        // The running statistics are parameters like every float initializer; batch_norm refuses gradients for them.
        return inputs =>
        {
            using var mean = inputs[3]!.detach();
            using var variance = inputs[4]!.detach();
            return F.batch_norm(inputs[0]!, mean, variance, inputs[1]!, inputs[2]!, false, 0.1, epsilon);
        };
    }

    public static OnnxKernel Gemm(NodeContext node)
    {
        var alpha = node.Float("alpha", 1f);
        var beta = node.Float("beta", 1f);
        bool transA = node.Int("transA", 0) != 0, transB = node.Int("transB", 0) != 0;
        Scalar alphaScalar = alpha.ToScalar();
        return inputs =>
        {
            using var a = transA ? inputs[0]!.t() : inputs[0]!.alias();
            using var b = transB ? inputs[1]!.t() : inputs[1]!.alias();
            var c = inputs.Count > 2 ? inputs[2] : null;
            if (c is null)
            {
                using var product = a.matmul(b);
                return alpha == 1f ? product.alias() : product.mul(alphaScalar);
            }
            return c.addmm(a, b, beta, alpha);
        };
    }

    public static OnnxKernel MatMul(NodeContext node) => inputs => inputs[0]!.matmul(inputs[1]!);

    /// <summary>Throws when <paramref name="x"/> does not have the rank the kernel implements.</summary>
    public static void RequireRank(NodeContext node, Tensor x, int rank)
    {
        if (x.dim() != rank) throw node.Error($"only {rank}-D inputs are supported; this input has shape [{string.Join(",", x.shape)}]");
    }
}
