using DecomCamNet.Onnx.Operators;
using Google.Protobuf.Collections;
using static TorchSharp.torch;
using OnnxProto = global::Onnx;

namespace DecomCamNet.Onnx;

/// <summary>
/// Turns a parsed ONNX model into what an <see cref="OnnxModel"/> is made of: the stored tensors (floating-point
/// initializers and Constants as float32 parameters, integer ones as buffers, under sanitised unique names), one
/// <see cref="OnnxNodeModule"/> per node with the kernel its operator factory built, the <see cref="ExecutionPlan"/> and
/// the <see cref="LayerIndex"/>. Everything the importer does not support is an <see cref="OnnxImportException"/> at load.
/// </summary>
internal static class OnnxImporter
{
    /// <summary>Imports <paramref name="model"/>.</summary>
    /// <param name="model">The parsed model.</param>
    /// <param name="directory">Where externally stored tensor data lives; null when none.</param>
    /// <param name="outputName">The graph output to compute; null for the first.</param>
    /// <param name="storedValue">The model's current value of a stored slot (or null), which node modules read their constant inputs through.</param>
    public static ImportedGraph Import(OnnxProto.ModelProto model, string? directory, string? outputName, Func<int, Tensor?> storedValue)
    {
        var graph = model.Graph ?? throw new OnnxImportException("The file holds no graph.");
        long opset = ReadOpset(model);
        var slots = new Dictionary<string, int>(StringComparer.Ordinal);
        int Slot(string tensorName) => slots.TryGetValue(tensorName, out var s) ? s : slots[tensorName] = slots.Count;

        // Initializers and Constant nodes: parameters (floating point) or buffers, stored under sanitised names.
        var constants = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var usedNames = new HashSet<string>(StringComparer.Ordinal);
        var stored = new List<StoredTensor>();
        void Store(string tensorName, Tensor value)
        {
            var path = OnnxNames.Unique(OnnxNames.Sanitize(tensorName), usedNames);
            bool isParameter = value.is_floating_point();
            if (isParameter) value = new TorchSharp.Modules.Parameter(value, requires_grad: true);   // takes over value's handle
            constants[tensorName] = value;
            stored.Add(new StoredTensor(Slot(tensorName), path, value, isParameter));
        }
        foreach (var init in graph.Initializer)
        {
            try { Store(init.Name, OnnxTensors.ToTensor(init, directory)); }
            catch (NotSupportedException e) { throw new OnnxImportException($"Initializer '{init.Name}': {e.Message}", e); }
        }

        var inputs = graph.Input.Where(i => !constants.ContainsKey(i.Name)).ToList();
        if (inputs.Count != 1)
            throw new OnnxImportException($"The graph has {inputs.Count} inputs that are not initializers ({string.Join(", ", inputs.Select(i => i.Name))}); exactly one image input is supported.");
        var inputName = inputs[0].Name;
        var inputShape = (inputs[0].Type?.TensorType?.Shape?.Dim ?? new RepeatedField<OnnxProto.TensorShapeProto.Types.Dimension>())
            .Select(d => d.ValueCase == OnnxProto.TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ? d.DimValue : -1L).ToArray();
        int inputSlot = Slot(inputName);
        if (graph.Output.Count == 0) throw new OnnxImportException("The graph has no output.");
        outputName ??= graph.Output[0].Name;
        if (graph.Output.All(o => o.Name != outputName))
            throw new OnnxImportException($"The graph has no output '{outputName}' (outputs: {string.Join(", ", graph.Output.Select(o => o.Name))}).");

        // One kernel and one submodule per node, in topological order.
        var ordered = TopologicalOrder.Of(graph, name => constants.ContainsKey(name) || name == inputName);
        var nodes = new List<PlannedNode>();
        var modulePaths = new HashSet<string>(usedNames, StringComparer.Ordinal);
        var weighingValues = WeighingValues(graph);
        foreach (var (node, index) in ordered)
        {
            var display = node.Name.Length > 0 ? node.Name : $"{node.OpType}_{index}";
            if (node.Domain is not ("" or "ai.onnx"))
                throw new OnnxImportException(display, node.OpType, opset, $"domain '{node.Domain}' is not supported (only the default ONNX domain)");
            var context = new NodeContext(node, display, opset, n => constants.GetValueOrDefault(n));
            if (node.Output.Count == 0 || node.Output[0].Length == 0) throw context.Error("the node has no output");
            if (node.OpType == "Constant")
            {
                Store(node.Output[0], ConstantNode.Value(context, directory));
                continue;
            }
            if (!context.HasInput(0)) throw context.Error("the first input is omitted");
            var kernel = OperatorRegistry.Create(context);
            var path = OnnxNames.Unique(OnnxNames.Sanitize(display), modulePaths);
            var inputSlots = node.Input.Select(n => n.Length == 0 ? -1 : Slot(n)).ToArray();
            var linearWeight = NodeRoles.LinearWeight(context);
            var module = new OnnxNodeModule(path, node.OpType, kernel, k => k < inputSlots.Length ? storedValue(inputSlots[k]) : null,
                linearWeight, NodeRoles.LinearBias(context, linearWeight is not null), NodeRoles.ChannelBias(context),
                isAttention: node.OpType == "Softmax" && weighingValues.Contains(node.Output[0]));
            bool several = OperatorRegistry.HasSeveralOutputs(node.OpType);
            var outputSlots = node.Output.Select((o, k) => k == 0 || several && o.Length > 0 ? Slot(o) : -1).ToArray();
            nodes.Add(new PlannedNode(module, new OnnxLayer(display, node.Output[0], path, node.OpType, null), inputSlots, outputSlots));
            if (!several)
                foreach (var extra in node.Output.Skip(1).Where(o => o.Length > 0))
                    if (graph.Node.Any(n => n.Input.Contains(extra)) || graph.Output.Any(o => o.Name == extra))
                        throw context.Error($"output '{extra}' is used; only a node's first output is supported");
        }

        if (!slots.TryGetValue(outputName, out var outputSlot) || (nodes.All(n => n.Outputs[0] != outputSlot) && outputSlot != inputSlot))
            throw new OnnxImportException($"No node computes the graph output '{outputName}'.");
        var plan = ExecutionPlan.Create(nodes, stored.Select(s => s.Slot).ToArray(), inputSlot, outputSlot, slots.Count);
        return new ImportedGraph(opset, inputName, inputShape, outputName, stored, plan, new LayerIndex(nodes.Select(n => n.Layer)));
    }

    /// <summary>
    /// The values that weight a MatMul's right operand: its left operands, directly or through Dropout and Identity
    /// nodes (torchvision's Swin exports its attention dropout). A Softmax that outputs one is an attention layer.
    /// </summary>
    private static HashSet<string> WeighingValues(OnnxProto.GraphProto graph)
    {
        var values = graph.Node.Where(n => n.OpType == "MatMul" && n.Input.Count > 0).Select(n => n.Input[0]).ToHashSet(StringComparer.Ordinal);
        var passes = graph.Node.Where(n => n.OpType is "Dropout" or "Identity" && n.Input.Count > 0 && n.Output.Count > 0).ToArray();
        for (bool grown = true; grown;)
        {
            grown = false;
            foreach (var node in passes)
                if (values.Contains(node.Output[0]) && values.Add(node.Input[0])) grown = true;
        }
        return values;
    }

    private static long ReadOpset(OnnxProto.ModelProto model)
    {
        var imports = model.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").ToList();
        long opset = imports.Count == 0 ? 1 : imports.Max(o => o.Version);
        if (opset > OperatorRegistry.MaxOpset)
            throw new OnnxImportException($"The model uses opset {opset}; the importer knows operators up to opset {OperatorRegistry.MaxOpset}.");
        return opset;
    }
}
