using static TorchSharp.torch;

namespace DecomCamNet.Onnx;

/// <summary>The value of a <c>Constant</c> node, read at load time.</summary>
internal static class ConstantNode
{
    /// <summary>The node's value from whichever of its attributes holds it.</summary>
    /// <param name="node">The Constant node.</param>
    /// <param name="directory">Where externally stored tensor data lives; null when none.</param>
    /// <exception cref="OnnxImportException">The value is in a form the importer does not read (sparse, strings).</exception>
    public static Tensor Value(NodeContext node, string? directory)
    {
        Tensor? value = null;
        if (node.TensorAttribute("value") is { } t)
        {
            try { value = OnnxTensors.ToTensor(t, directory); }
            catch (NotSupportedException e) { throw node.Error(e.Message, e); }
        }
        else if (node.Floats("value_floats") is { } fs) value = tensor(fs);
        else if (node.Ints("value_ints") is { } ls) value = tensor(ls);
        else if (node.Float("value_float", float.NaN) is var f && !float.IsNaN(f)) value = tensor(f);
        else if (node.Int("value_int", long.MinValue) is var l && l != long.MinValue) value = tensor(l);
        node.EnsureAllRead();
        return value ?? throw node.Error("only value, value_float(s) and value_int(s) constants are supported");
    }
}
