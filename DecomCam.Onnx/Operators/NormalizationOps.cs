using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace DecomCamNet.Onnx.Operators;

/// <summary>LayerNormalization (opset 17): normalises over the dimensions from <c>axis</c> on, then scales and shifts.</summary>
internal static class NormalizationOps
{
    public static OnnxKernel LayerNormalization(NodeContext node)
    {
        long axis = node.Int("axis", -1);
        double epsilon = node.Float("epsilon", 1e-5f);
        node.Int("stash_type", 1);
        for (int output = 1; output < node.OutputCount; output++)
            if (node.HasOutput(output)) throw node.Error("only the normalised output Y is supported (not Mean or InvStdDev)");
        return inputs =>
        {
            var x = inputs[0]!;
            int a = (int)(axis < 0 ? axis + x.dim() : axis);
            var normalized = x.shape[a..];
            using var scale = Broadcast(inputs[1]!, normalized);
            using var bias = inputs.Count > 2 && inputs[2] is { } b ? Broadcast(b, normalized) : null;
            return F.layer_norm(x, normalized, scale, bias, epsilon);
        };
    }

    private static Tensor Broadcast(Tensor t, long[] shape) => t.shape.SequenceEqual(shape) ? t.alias() : t.expand(shape).contiguous();
}
