namespace DecomCamNet.Onnx;

/// <summary>
/// An ONNX model that cannot be imported as it is: an unsupported operator, attribute, data type or opset, or a
/// malformed graph. The message names the node, its operator and the model's opset; nothing is ever approximated.
/// </summary>
public sealed class OnnxImportException : Exception
{
    /// <summary>Creates the exception for a problem in one node.</summary>
    public OnnxImportException(string nodeName, string opType, long opset, string problem, Exception? inner = null)
        : base($"ONNX node '{nodeName}' ({opType}, opset {opset}): {problem}", inner)
    {
        NodeName = nodeName;
        OpType = opType;
        Opset = opset;
    }

    /// <summary>Creates the exception for a problem of the whole model (file, graph inputs, opset imports).</summary>
    public OnnxImportException(string problem, Exception? inner = null) : base(problem, inner) { }

    /// <summary>The node's name (or, when it has none, its operator and index), when the problem is one node's.</summary>
    public string? NodeName { get; }

    /// <summary>The node's operator type, when the problem is one node's.</summary>
    public string? OpType { get; }

    /// <summary>The model's opset for the node's domain, when the problem is one node's.</summary>
    public long? Opset { get; }
}
