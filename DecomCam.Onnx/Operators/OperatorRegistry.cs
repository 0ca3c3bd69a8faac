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
        ["Gelu"] = (20, MathOps.Gelu),
        ["Erf"] = (9, MathOps.Erf),
        ["Sqrt"] = (6, MathOps.Sqrt),
        ["Exp"] = (6, MathOps.Exp),
        ["Pow"] = (7, MathOps.Pow),
        ["LayerNormalization"] = (17, NormalizationOps.LayerNormalization),
        ["Equal"] = (7, SelectionOps.Equal),
        ["Where"] = (9, SelectionOps.Where),
        ["Expand"] = (8, SelectionOps.Expand),
        ["Not"] = (1, SelectionOps.Not),
        ["Mod"] = (10, ArithmeticOps.Mod),
        ["Range"] = (11, IndexingOps.Range),
        ["ScatterND"] = (11, IndexingOps.ScatterND),
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

    /// <summary>The operators with several outputs.</summary>
    private static readonly Dictionary<string, (long MinOpset, Func<NodeContext, OnnxMultiKernel> Create)> MultiOutputFactories = new()
    {
        ["Split"] = (2, SplitOps.Split),
    };

    /// <summary>The operator types the importer runs, sorted.</summary>
    public static IReadOnlyList<string> Supported =>
        Factories.Keys.Concat(MultiOutputFactories.Keys).Append("Constant").Order(StringComparer.Ordinal).ToArray();

    /// <summary>Whether the operator computes more than its first output.</summary>
    public static bool HasSeveralOutputs(string opType) => MultiOutputFactories.ContainsKey(opType);

    /// <summary>The kernel for the node (all its outputs), or an <see cref="OnnxImportException"/> naming what is not supported.</summary>
    public static OnnxMultiKernel Create(NodeContext node)
    {
        OnnxMultiKernel kernel;
        if (MultiOutputFactories.TryGetValue(node.OpType, out var multi))
            kernel = multi.Create(Checked(node, multi.MinOpset));
        else if (Factories.TryGetValue(node.OpType, out var entry))
        {
            var single = entry.Create(Checked(node, entry.MinOpset));
            kernel = inputs => new[] { single(inputs) };
        }
        else throw node.Error($"operator {node.OpType} is not supported (supported: {string.Join(", ", Supported)})");
        node.EnsureAllRead();
        return kernel;
    }

    private static NodeContext Checked(NodeContext node, long minOpset) => node.Opset >= minOpset ? node
        : throw node.Error($"{node.OpType} is supported from opset {minOpset}; this model uses opset {node.Opset}");
}
