namespace DecomCamNet.Onnx.Operators;

/// <summary>
/// Split: the input cut along <c>axis</c> into one part per output, of the sizes that <c>split</c> gives (an attribute
/// before opset 13, an input from 13), else equal parts (from opset 18 <c>num_outputs</c> parts, the last one smaller
/// when the length does not divide).
/// </summary>
internal static class SplitOps
{
    public static OnnxMultiKernel Split(NodeContext node)
    {
        long axis = node.Int("axis", 0);
        int outputs = node.OutputCount;
        long[]? sizes = node.Opset < 13 ? node.Ints("split") : null;
        long parts = node.Opset >= 18 ? node.Int("num_outputs", outputs) : outputs;
        if (parts != outputs) throw node.Error($"num_outputs={parts} but the node has {outputs} outputs");
        if (sizes is not null && sizes.Length != outputs) throw node.Error($"split has {sizes.Length} sizes for {outputs} outputs");
        bool unevenLast = node.Opset >= 18;
        return inputs =>
        {
            var x = inputs[0]!;
            long a = axis < 0 ? axis + x.dim() : axis;
            long length = x.shape[a];
            var given = sizes ?? (inputs.Count > 1 && inputs[1] is { } s ? OnnxTensors.ToLongs(s) : null);
            if (given is not null)
            {
                if (given.Length != outputs || given.Sum() != length)
                    throw node.Error($"split sizes [{string.Join(",", given)}] do not cut a length of {length} into {outputs} parts");
                return x.split(given, dim: a);
            }
            if (!unevenLast && length % outputs != 0)
                throw node.Error($"a length of {length} does not split into {outputs} equal parts");
            long chunk = (length + outputs - 1) / outputs;
            var pieces = x.split(chunk, dim: (int)a);
            if (pieces.Length != outputs)
            {
                foreach (var p in pieces) p.Dispose();
                throw node.Error($"a length of {length} does not split into {outputs} parts");
            }
            return pieces;
        };
    }
}
