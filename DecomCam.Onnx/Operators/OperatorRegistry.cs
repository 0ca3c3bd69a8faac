namespace DecomCamNet.Onnx.Operators;

/// <summary>
/// The operators the importer implements, by ONNX operator type (default domain), each with the oldest opset whose
/// semantics its factory knows. A factory reads the node's attributes at load time and returns the kernel that runs it.
/// </summary>
internal static class OperatorRegistry
{
    /// <summary>The newest default-domain opset whose operator definitions the factories were written against.</summary>
    public const long MaxOpset = 21;

    private static readonly Dictionary<string, (long MinOpset, Func<NodeContext, OnnxKernel> Create)> Factories = new()
    {
        ["Conv"] = (1, ConvolutionOps.Conv),
        ["BatchNormalization"] = (6, ConvolutionOps.BatchNormalization),
        ["Gemm"] = (7, ConvolutionOps.Gemm),
        ["MatMul"] = (1, ConvolutionOps.MatMul),
        ["MaxPool"] = (1, PoolingOps.MaxPool),
        ["AveragePool"] = (1, PoolingOps.AveragePool),
        ["GlobalAveragePool"] = (1, PoolingOps.GlobalAveragePool),
        ["GlobalMaxPool"] = (1, PoolingOps.GlobalMaxPool),
        ["ReduceMean"] = (1, PoolingOps.ReduceMean),
        ["Relu"] = (6, ActivationOps.Relu),
        ["LeakyRelu"] = (6, ActivationOps.LeakyRelu),
        ["PRelu"] = (7, ActivationOps.PRelu),
        ["Sigmoid"] = (6, ActivationOps.Sigmoid),
        ["HardSigmoid"] = (6, ActivationOps.HardSigmoid),
        ["HardSwish"] = (14, ActivationOps.HardSwish),
        ["Tanh"] = (6, ActivationOps.Tanh),
        ["Clip"] = (6, ActivationOps.Clip),
        ["Softmax"] = (1, ActivationOps.Softmax),
        ["Add"] = (7, ArithmeticOps.Add),
        ["Sub"] = (7, ArithmeticOps.Sub),
        ["Mul"] = (7, ArithmeticOps.Mul),
        ["Div"] = (7, ArithmeticOps.Div),
        ["Identity"] = (1, ShapeOps.Identity),
        ["Dropout"] = (7, ShapeOps.Dropout),
        ["Concat"] = (4, ShapeOps.Concat),
        ["Flatten"] = (1, ShapeOps.Flatten),
        ["Reshape"] = (5, ShapeOps.Reshape),
        ["Transpose"] = (1, ShapeOps.Transpose),
        ["Squeeze"] = (1, ShapeOps.Squeeze),
        ["Unsqueeze"] = (1, ShapeOps.Unsqueeze),
        ["Shape"] = (1, ShapeOps.Shape),
        ["Gather"] = (1, ShapeOps.Gather),
        ["Slice"] = (10, ShapeOps.Slice),
        ["Cast"] = (6, ShapeOps.Cast),
        ["ConstantOfShape"] = (9, ShapeOps.ConstantOfShape),
        ["Pad"] = (2, PadResizeOps.Pad),
        ["Resize"] = (11, PadResizeOps.Resize),
    };

    /// <summary>The operator types the importer runs, sorted.</summary>
    public static IReadOnlyList<string> Supported => Factories.Keys.Append("Constant").Order(StringComparer.Ordinal).ToArray();

    /// <summary>The kernel for the node, or an <see cref="OnnxImportException"/> naming what is not supported.</summary>
    public static OnnxKernel Create(NodeContext node)
    {
        if (!Factories.TryGetValue(node.OpType, out var entry))
            throw node.Error($"operator {node.OpType} is not supported (supported: {string.Join(", ", Supported)})");
        if (node.Opset < entry.MinOpset)
            throw node.Error($"{node.OpType} is supported from opset {entry.MinOpset}; this model uses opset {node.Opset}");
        var kernel = entry.Create(node);
        node.EnsureAllRead();
        return kernel;
    }
}
