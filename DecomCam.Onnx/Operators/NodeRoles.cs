using DecomCamNet.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet.Onnx.Operators;

/// <summary>Reads the current value of a node's input by position: the stored initializer or Constant, or null.</summary>
internal delegate Tensor? ConstantInputs(int index);

/// <summary>
/// What methods read from a node's constant inputs besides running it: the weight and bias of a linear node (Gemm without
/// a transposed input, MatMul with a 2-D constant right side), read by CAM and DFF, and the per-channel bias of a Conv or
/// BatchNormalization node, read by FullGrad. Each is computed from the stored parameters when asked, so it follows
/// the model to another device.
/// </summary>
internal static class NodeRoles
{
    /// <summary>How to compute the node's weight as <c>[outputs, inputs]</c>, or null when it is no linear map with a constant weight.</summary>
    public static Func<ConstantInputs, Tensor?>? LinearWeight(NodeContext node)
    {
        switch (node.OpType)
        {
            case "Gemm" when node.Int("transA", 0) == 0 && node.ConstantInput(1) is { } b && b.dim() == 2:
                bool transB = node.Int("transB", 0) != 0;
                double alpha = node.Float("alpha", 1f);
                return c =>
                {
                    using var w = transB ? c(1)!.detach() : c(1)!.detach().t();
                    using Scalar factor = alpha;
                    return w.mul(factor);
                };
            case "MatMul" when node.ConstantInput(1) is { } m && m.dim() == 2:
                return c => c(1)!.detach().t();
            default:
                return null;
        }
    }

    /// <summary>How to compute a linear node's bias <c>[outputs]</c> (Gemm's beta·C when C is a constant vector), or null.</summary>
    /// <param name="node">The node.</param>
    /// <param name="isLinear">Whether <see cref="LinearWeight"/> found the node linear.</param>
    public static Func<ConstantInputs, Tensor?>? LinearBias(NodeContext node, bool isLinear)
    {
        if (!isLinear || node.OpType != "Gemm" || node.ConstantInput(2) is not { } c) return null;
        var weight = node.ConstantInput(1)!;
        long outputs = node.Int("transB", 0) != 0 ? weight.shape[0] : weight.shape[1];
        if (c.numel() != outputs || c.shape.Count(d => d != 1) > 1) return null;
        double beta = node.Float("beta", 1f);
        return inputs =>
        {
            using var bias = inputs(2)!.detach().flatten();
            using Scalar factor = beta;
            return bias.mul(factor);
        };
    }

    /// <summary>How to compute the node's per-channel bias <c>[C]</c>, or null when it adds none (or not a constant one).</summary>
    public static Func<ConstantInputs, Tensor?>? ChannelBias(NodeContext node)
    {
        switch (node.OpType)
        {
            case "Conv" when node.ConstantInput(2) is not null:
                return c => c(2)!.detach().clone();
            case "BatchNormalization" when Enumerable.Range(1, 4).All(i => node.ConstantInput(i) is not null):
                double epsilon = node.Float("epsilon", 1e-5f);
                return c =>
                {
                    using var scope = NewDisposeScope();
                    var (scale, bias, mean, variance) = (c(1)!.detach(), c(2)!.detach(), c(3)!.detach(), c(4)!.detach());
                    using Scalar eps = epsilon;
                    return (bias - mean * scale / variance.add(eps, CachedScalars.One).sqrt()).MoveToOuterDisposeScope();
                };
            default:
                return null;
        }
    }
}
