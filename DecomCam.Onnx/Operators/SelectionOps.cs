using static TorchSharp.torch;

namespace DecomCamNet.Onnx.Operators;

/// <summary>
/// Equal, Not, Where and Expand: the shape arithmetic torch.onnx emits around an expanded class token
/// (<c>Where(Equal(shape, -1), 1, shape)</c> feeding Expand), and Where as a general broadcasting select.
/// </summary>
internal static class SelectionOps
{
    public static OnnxKernel Equal(NodeContext node) => inputs => inputs[0]!.eq(inputs[1]!);

    public static OnnxKernel Not(NodeContext node) => inputs => inputs[0]!.logical_not();

    public static OnnxKernel Where(NodeContext node) => inputs => where(inputs[0]!, inputs[1]!, inputs[2]!);

    /// <summary>Expand broadcasts both ways: the result's shape is the broadcast of the input's shape and the given one.</summary>
    public static OnnxKernel Expand(NodeContext node) => inputs =>
    {
        var x = inputs[0]!;
        var requested = OnnxTensors.ToLongs(inputs[1]!);
        int rank = Math.Max(requested.Length, (int)x.dim());
        var shape = new long[rank];
        for (int i = 0; i < rank; i++)
        {
            int fromInput = i - (rank - (int)x.dim()), fromShape = i - (rank - requested.Length);
            long a = fromInput >= 0 ? x.shape[fromInput] : 1, b = fromShape >= 0 ? requested[fromShape] : 1;
            if (a != b && a != 1 && b != 1)
                throw node.Error($"cannot expand shape [{string.Join(",", x.shape)}] to [{string.Join(",", requested)}]");
            shape[i] = a == 1 ? b : a;
        }
        return x.expand(shape);
    };
}
