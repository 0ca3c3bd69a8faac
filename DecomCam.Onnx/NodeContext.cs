using OnnxProto = global::Onnx;

namespace DecomCamNet.Onnx;

/// <summary>
/// What an operator factory reads about one node at load time: its attributes (each read is recorded, and an attribute
/// that no factory read is an error), the number of its inputs, and constant input values known before any forward.
/// Every problem becomes an <see cref="OnnxImportException"/> naming the node.
/// </summary>
internal sealed class NodeContext
{
    private readonly OnnxProto.NodeProto _node;
    private readonly Dictionary<string, OnnxProto.AttributeProto> _attributes;
    private readonly HashSet<string> _read = new();
    private readonly Func<string, TorchSharp.torch.Tensor?> _constant;

    public NodeContext(OnnxProto.NodeProto node, string displayName, long opset, Func<string, TorchSharp.torch.Tensor?> constant)
    {
        _node = node;
        DisplayName = displayName;
        Opset = opset;
        _constant = constant;
        _attributes = new Dictionary<string, OnnxProto.AttributeProto>();
        foreach (var a in node.Attribute)
            if (!_attributes.TryAdd(a.Name, a)) throw Error($"attribute '{a.Name}' is given twice");
    }

    public string DisplayName { get; }
    public string OpType => _node.OpType;
    public long Opset { get; }

    /// <summary>The number of outputs the node declares (empty names of omitted optional outputs included).</summary>
    public int OutputCount => _node.Output.Count;

    /// <summary>Whether input <paramref name="index"/> is given (present and not an empty name).</summary>
    public bool HasInput(int index) => index < _node.Input.Count && _node.Input[index].Length > 0;

    /// <summary>Whether output <paramref name="index"/> is declared with a name (an omitted optional output has an empty one).</summary>
    public bool HasOutput(int index) => index < _node.Output.Count && _node.Output[index].Length > 0;

    /// <summary>The value of input <paramref name="index"/> when it is an initializer or a Constant node's output; otherwise null.</summary>
    public TorchSharp.torch.Tensor? ConstantInput(int index) => HasInput(index) ? _constant(_node.Input[index]) : null;

    public OnnxImportException Error(string problem, Exception? inner = null) => new(DisplayName, OpType, Opset, problem, inner);

    public long Int(string name, long fallback) => Get(name, OnnxProto.AttributeProto.Types.AttributeType.Int)?.I ?? fallback;

    public float Float(string name, float fallback) => Get(name, OnnxProto.AttributeProto.Types.AttributeType.Float)?.F ?? fallback;

    public string String(string name, string fallback) => Get(name, OnnxProto.AttributeProto.Types.AttributeType.String)?.S.ToStringUtf8() ?? fallback;

    public long[]? Ints(string name) => Get(name, OnnxProto.AttributeProto.Types.AttributeType.Ints)?.Ints.ToArray();

    public float[]? Floats(string name) => Get(name, OnnxProto.AttributeProto.Types.AttributeType.Floats)?.Floats.ToArray();

    public OnnxProto.TensorProto? TensorAttribute(string name) => Get(name, OnnxProto.AttributeProto.Types.AttributeType.Tensor)?.T;

    /// <summary>Marks an attribute as understood when it holds <paramref name="required"/> (or is absent); any other value is an error.</summary>
    public void Expect(string name, long required)
    {
        var value = Int(name, required);
        if (value != required) throw Error($"attribute {name}={value} is not supported (only {required})");
    }

    /// <summary>Throws for every attribute that no factory read: an attribute we do not implement is never ignored.</summary>
    public void EnsureAllRead()
    {
        var unread = _attributes.Keys.Where(k => !_read.Contains(k)).ToList();
        if (unread.Count > 0) throw Error($"attribute{(unread.Count > 1 ? "s" : "")} {string.Join(", ", unread)} not supported");
    }

    private OnnxProto.AttributeProto? Get(string name, OnnxProto.AttributeProto.Types.AttributeType type)
    {
        _read.Add(name);
        if (!_attributes.TryGetValue(name, out var a)) return null;
        if (a.Type != type && a.Type != OnnxProto.AttributeProto.Types.AttributeType.Undefined)
            throw Error($"attribute '{name}' has type {a.Type}, expected {type}");
        return a;
    }
}
