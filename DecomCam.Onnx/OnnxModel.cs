using System.Text;
using DecomCamNet.Onnx.Operators;
using Google.Protobuf;
using TorchSharp;
using static TorchSharp.torch;
using OnnxProto = global::Onnx;

namespace DecomCamNet.Onnx;

/// <summary>
/// An ONNX image model run with TorchSharp operations: gradients flow through it and every node is a submodule whose
/// forward hooks fire, so every CAM method explains it like a zoo model. <see cref="Load(string, string?)"/> parses the
/// file (Google.Protobuf classes generated from ONNX's <c>onnx.proto</c>), turns floating-point initializers into
/// float32 parameters (float16, bfloat16 and float64 converted) and integer ones into buffers, and orders the graph
/// topologically once; a forward pass frees each intermediate value once its last consumer has run.
/// </summary>
/// <remarks>
/// Layers: a node's name, the name of the tensor it outputs (both as Netron shows them) or its module path all select
/// it (<see cref="ILayerNameMap"/>); <see cref="DefaultLayer(long[])"/> is the last node whose output is a feature map.
/// Operators: those of image CNNs as PyTorch, tf2onnx and ML.NET export them (<see cref="SupportedOperators"/>); an
/// unsupported operator, attribute, data type or opset is an <see cref="OnnxImportException"/> naming the node.
/// The model has one input (other graph inputs must be initializers) and returns one output. Like any module it runs
/// one forward at a time: use one instance per thread.
/// </remarks>
public sealed class OnnxModel : nn.Module<Tensor, Tensor>, ILayerNameMap, IRoutedConvolutions
{
    private readonly GraphNode[] _nodes;
    private readonly (int Slot, string Name, bool IsParameter)[] _stored;
    private readonly Dictionary<int, (string Name, bool IsParameter)> _storedBySlot;
    private readonly int _slotCount;
    private readonly int _inputSlot;
    private readonly int _outputSlot;
    private readonly Dictionary<string, string> _layerPaths;
    private long[]?[]? _probe;

    private sealed record GraphNode(OnnxNodeModule Module, OnnxLayer Layer, int[] Inputs, int Output, int[] OtherOutputs, int[] FreeAfter);

    private OnnxModel(string name, OnnxProto.ModelProto model, string? directory, string? outputName) : base(name)
    {
        var graph = model.Graph ?? throw new OnnxImportException("The file holds no graph.");
        Opset = ReadOpset(model);
        var slots = new Dictionary<string, int>(StringComparer.Ordinal);
        int Slot(string tensorName) => slots.TryGetValue(tensorName, out var s) ? s : slots[tensorName] = slots.Count;

        // Initializers and Constant nodes: parameters (floating point) or buffers, stored under sanitised names.
        var constants = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var usedNames = new HashSet<string>(StringComparer.Ordinal);
        var stored = new List<(int, string, bool)>();
        void Store(string tensorName, Tensor value)
        {
            var path = UniqueName(Sanitize(tensorName), usedNames);
            bool isParameter = value.is_floating_point();
            if (isParameter)
            {
                var parameter = new TorchSharp.Modules.Parameter(value, requires_grad: true);   // takes over value's handle
                register_parameter(path, parameter);
                value = parameter;
            }
            else register_buffer(path, value);
            constants[tensorName] = value;
            stored.Add((Slot(tensorName), path, isParameter));
        }
        foreach (var init in graph.Initializer)
        {
            try { Store(init.Name, OnnxTensors.ToTensor(init, directory)); }
            catch (NotSupportedException e) { throw new OnnxImportException($"Initializer '{init.Name}': {e.Message}", e); }
        }

        var inputs = graph.Input.Where(i => !constants.ContainsKey(i.Name)).ToList();
        if (inputs.Count != 1)
            throw new OnnxImportException($"The graph has {inputs.Count} inputs that are not initializers ({string.Join(", ", inputs.Select(i => i.Name))}); exactly one image input is supported.");
        InputName = inputs[0].Name;
        InputShape = (inputs[0].Type?.TensorType?.Shape?.Dim ?? new Google.Protobuf.Collections.RepeatedField<OnnxProto.TensorShapeProto.Types.Dimension>())
            .Select(d => d.ValueCase == OnnxProto.TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ? d.DimValue : -1L).ToArray();
        _inputSlot = Slot(InputName);
        if (graph.Output.Count == 0) throw new OnnxImportException("The graph has no output.");
        OutputName = outputName ?? graph.Output[0].Name;
        if (graph.Output.All(o => o.Name != OutputName))
            throw new OnnxImportException($"The graph has no output '{OutputName}' (outputs: {string.Join(", ", graph.Output.Select(o => o.Name))}).");

        // Topological order (Kahn, stable in file order), then one kernel and one submodule per node.
        var ordered = TopologicalOrder(graph, name => constants.ContainsKey(name) || name == InputName);
        var consumers = new Dictionary<string, int>(StringComparer.Ordinal);
        var built = new List<(OnnxNodeModule Module, OnnxLayer Layer, int[] Inputs, int[] Outputs)>();
        _layerPaths = new Dictionary<string, string>(StringComparer.Ordinal);
        var modulePaths = new HashSet<string>(usedNames, StringComparer.Ordinal);
        for (int i = 0; i < ordered.Count; i++)
        {
            var (node, index) = ordered[i];
            var display = node.Name.Length > 0 ? node.Name : $"{node.OpType}_{index}";
            if (node.Domain is not ("" or "ai.onnx"))
                throw new OnnxImportException(display, node.OpType, Opset, $"domain '{node.Domain}' is not supported (only the default ONNX domain)");
            var context = new NodeContext(node, display, Opset, n => constants.GetValueOrDefault(n));
            if (node.Output.Count == 0 || node.Output[0].Length == 0) throw context.Error("the node has no output");
            if (node.OpType == "Constant")
            {
                Store(node.Output[0], ConstantValue(context, directory));
                continue;
            }
            if (!context.HasInput(0)) throw context.Error("the first input is omitted");
            var kernel = OperatorRegistry.Create(context);
            var path = UniqueName(Sanitize(display), modulePaths);
            var inputSlots = node.Input.Select(n => n.Length == 0 ? -1 : Slot(n)).ToArray();
            var linearWeight = NodeRoles.LinearWeight(context);
            var module = new OnnxNodeModule(path, node.OpType, kernel, k => k < inputSlots.Length ? StoredValue(inputSlots[k]) : null,
                linearWeight, NodeRoles.LinearBias(context, linearWeight is not null), NodeRoles.ChannelBias(context));
            register_module(path, module);
            var layer = new OnnxLayer(display, node.Output[0], path, node.OpType, null);
            bool several = OperatorRegistry.HasSeveralOutputs(node.OpType);
            built.Add((module, layer, inputSlots, node.Output.Select((o, k) => k == 0 || several && o.Length > 0 ? Slot(o) : -1).ToArray()));
            if (!several)
                foreach (var extra in node.Output.Skip(1).Where(o => o.Length > 0))
                    if (graph.Node.Any(n => n.Input.Contains(extra)) || graph.Output.Any(o => o.Name == extra))
                        throw context.Error($"output '{extra}' is used; only a node's first output is supported");
            foreach (var n in node.Input.Where(n => n.Length > 0)) consumers[n] = built.Count - 1;
            _layerPaths.TryAdd(display, path);
            _layerPaths.TryAdd(node.Output[0], path);
            _layerPaths.TryAdd(path, path);
        }

        // Free each node output after its last consumer (at once when nothing consumes it), never the graph's output.
        var freeAfter = built.Select(_ => new List<int>()).ToArray();
        var slotNames = slots.ToDictionary(kv => kv.Value, kv => kv.Key);
        for (int i = 0; i < built.Count; i++)
            foreach (var slot in built[i].Outputs.Where(s => s >= 0))
            {
                var produced = slotNames[slot];
                if (produced == OutputName) continue;
                freeAfter[consumers.TryGetValue(produced, out var last) ? last : i].Add(slot);
            }
        _nodes = built.Select((b, i) => new GraphNode(b.Module, b.Layer, b.Inputs, b.Outputs[0], b.Outputs[1..], freeAfter[i].ToArray())).ToArray();
        _stored = stored.ToArray();
        _storedBySlot = _stored.ToDictionary(s => s.Slot, s => (s.Name, s.IsParameter));
        if (!slots.TryGetValue(OutputName, out _outputSlot) || (_nodes.All(n => n.Output != _outputSlot) && _outputSlot != _inputSlot))
            throw new OnnxImportException($"No node computes the graph output '{OutputName}'.");
        _slotCount = slots.Count;
    }

    /// <summary>Reads an ONNX model file (external tensor data is read from beside it).</summary>
    /// <param name="path">The <c>.onnx</c> file.</param>
    /// <param name="outputName">The graph output to return; null for the first.</param>
    /// <exception cref="OnnxImportException">The file is not a valid ONNX model or uses what the importer does not support.</exception>
    public static OnnxModel Load(string path, string? outputName = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = File.OpenRead(path);
        return Load(stream, Path.GetDirectoryName(Path.GetFullPath(path)), outputName, Path.GetFileNameWithoutExtension(path));
    }

    /// <summary>Reads an ONNX model from a stream.</summary>
    /// <param name="stream">The serialized <c>ModelProto</c>.</param>
    /// <param name="externalDataDirectory">Where externally stored tensors live; null when the model stores none.</param>
    /// <param name="outputName">The graph output to return; null for the first.</param>
    /// <param name="name">The module's name.</param>
    /// <exception cref="OnnxImportException">The stream is not a valid ONNX model or uses what the importer does not support.</exception>
    public static OnnxModel Load(Stream stream, string? externalDataDirectory = null, string? outputName = null, string name = "onnx")
    {
        ArgumentNullException.ThrowIfNull(stream);
        OnnxProto.ModelProto proto;
        try { proto = OnnxProto.ModelProto.Parser.ParseFrom(stream); }
        catch (InvalidProtocolBufferException e) { throw new OnnxImportException($"Not an ONNX model: {e.Message}", e); }
        var model = new OnnxModel(name, proto, externalDataDirectory, outputName);
        model.eval();
        return model;
    }

    /// <summary>The operators the importer runs.</summary>
    public static IReadOnlyList<string> SupportedOperators => OperatorRegistry.Supported;

    /// <summary>The model's opset for the default ONNX domain.</summary>
    public long Opset { get; }

    /// <summary>The name of the graph's image input.</summary>
    public string InputName { get; }

    /// <summary>The input's declared shape, -1 for a symbolic dimension (a dynamic batch); empty when the file gives none.</summary>
    public IReadOnlyList<long> InputShape { get; }

    /// <summary>The name of the graph output that <see cref="forward"/> returns.</summary>
    public string OutputName { get; }

    /// <summary>The input's height and width when the graph fixes them (a 4-D input with constant spatial sizes); otherwise null.</summary>
    public (int Height, int Width)? FixedImageSize =>
        InputShape.Count == 4 && InputShape[2] > 0 && InputShape[3] > 0 ? ((int)InputShape[2], (int)InputShape[3]) : null;

    /// <summary>Every node in the order it runs (Constant nodes excepted), without output shapes.</summary>
    public IReadOnlyList<OnnxLayer> Nodes => _nodes.Select(n => n.Layer).ToArray();

    /// <summary>The current value of a stored initializer or Constant (wherever the model now lives), or null for another slot.</summary>
    private Tensor? StoredValue(int slot) =>
        _storedBySlot.TryGetValue(slot, out var stored) ? stored.IsParameter ? get_parameter(stored.Name) : get_buffer(stored.Name) : null;

    /// <summary>Runs the graph on <paramref name="input"/> and returns the chosen output.</summary>
    public override Tensor forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var values = new Tensor?[_slotCount];
        var owned = new bool[_slotCount];
        var parameters = named_parameters(recurse: false).ToDictionary(p => p.name, p => (Tensor)p.parameter);
        var buffers = named_buffers(recurse: false).ToDictionary(b => b.name, b => b.buffer);
        foreach (var (slot, name, isParameter) in _stored) values[slot] = isParameter ? parameters[name] : buffers[name];
        values[_inputSlot] = input;
        try
        {
            for (int i = 0; i < _nodes.Length; i++)
            {
                var node = _nodes[i];
                var arguments = node.Inputs.Select(s => s < 0 ? null : values[s] ?? throw new InvalidOperationException($"ONNX node '{node.Layer.NodeName}': input freed too early")).ToArray();
                node.Module.Arguments = arguments;
                Tensor output;
                try { output = node.Module.call(arguments[0]!); }
                catch (Exception e) when (e is not OnnxImportException)
                {
                    throw new InvalidOperationException($"ONNX node '{node.Layer.NodeName}' ({node.Layer.OpType}) failed on inputs of shapes " +
                        string.Join(" ", arguments.Select(a => a is null ? "-" : $"[{string.Join(",", a.shape)}]")) + ": " + e.Message, e);
                }
                finally { node.Module.Arguments = Array.Empty<Tensor?>(); }
                values[node.Output] = output;
                owned[node.Output] = true;
                var others = node.Module.TakeOtherOutputs();
                for (int k = 0; k < others.Length; k++)
                {
                    int slot = k < node.OtherOutputs.Length ? node.OtherOutputs[k] : -1;
                    if (slot < 0) others[k].Dispose();
                    else (values[slot], owned[slot]) = (others[k], true);
                }
                if (_probe is not null) _probe[i] = output.shape;
                foreach (var slot in node.FreeAfter)
                {
                    values[slot]!.Dispose();
                    values[slot] = null;
                    owned[slot] = false;
                }
            }
            return values[_outputSlot]!;
        }
        catch
        {
            for (int s = 0; s < values.Length; s++)
                if (owned[s]) values[s]!.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The nodes whose output is a feature map <c>[N,C,h,w]</c> (the layers a CAM can explain), in the order they run,
    /// with their output shapes for one image of <paramref name="inputShape"/> (default: the graph's input shape, batch 1).
    /// </summary>
    /// <exception cref="ArgumentException">The graph's input shape is not fixed and none is given.</exception>
    public IReadOnlyList<OnnxLayer> ExplainableLayers(long[]? inputShape = null)
    {
        var shapes = ProbeShapes(inputShape);
        return _nodes.Select((n, i) => n.Layer with { OutputShape = shapes[i] })
            .Where(l => l.OutputShape is { Length: 4 }).ToArray();
    }

    /// <summary>
    /// The default CAM layer: the last node whose output is a feature map with more than one position, i.e. the last
    /// before global pooling, measured with the graph's input shape (or <paramref name="inputShape"/>).
    /// </summary>
    /// <exception cref="InvalidOperationException">No node outputs a feature map.</exception>
    public OnnxLayer DefaultLayer(long[]? inputShape = null) =>
        ExplainableLayers(inputShape).LastOrDefault(l => l.OutputShape![2] * l.OutputShape[3] > 1)
        ?? throw new InvalidOperationException("No node of the graph outputs a feature map [N,C,h,w] with more than one position.");

    /// <inheritdoc />
    public string ToModulePath(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (_layerPaths.TryGetValue(name, out var path)) return path;
        var nearest = _nodes.SelectMany(n => new[] { n.Layer.NodeName, n.Layer.OutputName }).Distinct()
            .Select(k => (Name: k, Distance: EditDistance(name, k))).OrderBy(t => t.Distance).ThenBy(t => t.Name, StringComparer.Ordinal)
            .Take(8).Select(t => t.Name);
        throw new ArgumentException($"Layer '{name}' is not in the ONNX graph. Nearest node and tensor names: {string.Join(", ", nearest)}", "layer");
    }

    private long[]?[] ProbeShapes(long[]? inputShape)
    {
        var shape = inputShape ?? InputShape.Select((d, i) => i == 0 && d < 0 ? 1 : d).ToArray();
        if (shape.Length == 0 || shape.Any(d => d <= 0))
            throw new ArgumentException($"The graph's input shape [{string.Join(",", InputShape)}] is not fixed; give one.", nameof(inputShape));
        var device = parameters().FirstOrDefault()?.device ?? CPU;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        _probe = new long[]?[_nodes.Length];
        try
        {
            using var input = zeros(shape, device: device);
            call(input).Dispose();
            return _probe;
        }
        finally { _probe = null; }
    }

    private static long ReadOpset(OnnxProto.ModelProto model)
    {
        var imports = model.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").ToList();
        long opset = imports.Count == 0 ? 1 : imports.Max(o => o.Version);
        if (opset > OperatorRegistry.MaxOpset)
            throw new OnnxImportException($"The model uses opset {opset}; the importer knows operators up to opset {OperatorRegistry.MaxOpset}.");
        return opset;
    }

    private static Tensor ConstantValue(NodeContext node, string? directory)
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

    private static List<(OnnxProto.NodeProto Node, int Index)> TopologicalOrder(OnnxProto.GraphProto graph, Func<string, bool> isSource)
    {
        var producer = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < graph.Node.Count; i++)
            foreach (var o in graph.Node[i].Output.Where(o => o.Length > 0))
                if (!producer.TryAdd(o, i)) throw new OnnxImportException($"Tensor '{o}' is produced by two nodes.");
        var pending = new int[graph.Node.Count];
        var dependents = new List<int>[graph.Node.Count];
        for (int i = 0; i < graph.Node.Count; i++)
        {
            dependents[i] = new List<int>();
            foreach (var input in graph.Node[i].Input.Where(n => n.Length > 0).Distinct())
            {
                if (producer.TryGetValue(input, out var p)) pending[i]++;
                else if (!isSource(input))
                    throw new OnnxImportException($"Node '{graph.Node[i].Name}' ({graph.Node[i].OpType}) reads '{input}', which no node, initializer or input provides (subgraphs are not supported).");
            }
        }
        for (int i = 0; i < graph.Node.Count; i++)
            foreach (var input in graph.Node[i].Input.Where(n => n.Length > 0).Distinct())
                if (producer.TryGetValue(input, out var p)) dependents[p].Add(i);
        var ready = new SortedSet<int>(Enumerable.Range(0, graph.Node.Count).Where(i => pending[i] == 0));
        var order = new List<(OnnxProto.NodeProto, int)>();
        while (ready.Count > 0)
        {
            int next = ready.Min;
            ready.Remove(next);
            order.Add((graph.Node[next], next));
            foreach (var d in dependents[next])
                if (--pending[d] == 0) ready.Add(d);
        }
        if (order.Count != graph.Node.Count) throw new OnnxImportException("The graph has a cycle.");
        return order;
    }

    /// <summary>A module or parameter name from an ONNX name: letters, digits and underscores, no leading separator.</summary>
    private static string Sanitize(string name)
    {
        var sb = new StringBuilder(name.Length);
        foreach (var c in name) sb.Append(char.IsAsciiLetterOrDigit(c) ? c : '_');
        var s = sb.ToString().Trim('_');
        return s.Length == 0 || char.IsAsciiDigit(s[0]) ? "n_" + s : s;
    }

    private static string UniqueName(string name, HashSet<string> used)
    {
        var candidate = name;
        for (int k = 2; !used.Add(candidate); k++) candidate = $"{name}_{k}";
        return candidate;
    }

    private static int EditDistance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        var current = new int[b.Length + 1];
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
