using DecomCamNet.Models;
using DecomCamNet.Onnx.Operators;
using Google.Protobuf;
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
/// Operators: those of image CNNs as PyTorch, tf2onnx and ML.NET export them, and of torchvision's ViT and Swin as
/// torch.onnx exports them (<see cref="SupportedOperators"/>); an
/// unsupported operator, attribute, data type or opset is an <see cref="OnnxImportException"/> naming the node.
/// The model has one input (other graph inputs must be initializers) and returns one output.
/// Transformers: each attention Softmax's output passes through an <c>attn_probs</c> child
/// (<see cref="AttentionProbabilities"/>), so the attention methods run on the graph, and the model is an
/// <see cref="ITokenClassifier"/> whose blocks are found from the graph's structure (LeGrad).
/// Threads: a forward keeps all its values in locals and its nodes keep no state, so several threads may run forwards
/// (and <see cref="ExplainableLayers"/> or <see cref="DefaultLayer"/>, which run the kernels without hooks) on one
/// instance at once. Registering or removing hooks (which every CAM method does) edits TorchSharp's hook tables, which
/// are not thread-safe: CAM calls that run at the same time need one instance each.
/// </remarks>
public sealed class OnnxModel : nn.Module<Tensor, Tensor>, ILayerNameMap, IRoutedConvolutions, ITokenClassifier
{
    private readonly ExecutionPlan _plan;
    private readonly Lazy<int[]> _blocks;
    private readonly LayerIndex _layers;
    private readonly (string Path, bool IsParameter)[] _stored;
    private readonly Dictionary<int, (string Path, bool IsParameter)> _storedBySlot;

    private OnnxModel(string name, OnnxProto.ModelProto model, string? directory, string? outputName) : base(name)
    {
        var graph = OnnxImporter.Import(model, directory, outputName, StoredValue);
        foreach (var stored in graph.Stored)
        {
            if (stored.IsParameter) register_parameter(stored.Path, (TorchSharp.Modules.Parameter)stored.Value);
            else register_buffer(stored.Path, stored.Value);
        }
        foreach (var step in graph.Plan.Steps) register_module(step.Layer.ModulePath, step.Module);
        (_plan, _layers, Opset, InputName, InputShape, OutputName) = (graph.Plan, graph.Layers, graph.Opset, graph.InputName, graph.InputShape, graph.OutputName);
        _stored = graph.Stored.Select(s => (s.Path, s.IsParameter)).ToArray();
        _storedBySlot = graph.Stored.ToDictionary(s => s.Slot, s => (s.Path, s.IsParameter));
        _blocks = new Lazy<int[]>(() => TransformerBlocks.Find(_plan));
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
    public IReadOnlyList<OnnxLayer> Nodes => _plan.Steps.Select(s => s.Layer).ToArray();

    /// <summary>Runs the graph on <paramref name="input"/> and returns the chosen output.</summary>
    public override Tensor forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return _plan.Run(input, StoredValues(), hooks: true);
    }

    /// <summary>
    /// The nodes whose output is a feature map <c>[N,C,h,w]</c> (the layers a CAM can explain) and, with
    /// <paramref name="withTokens"/>, those whose output is batch-first transformer tokens <c>[N,T,C]</c> that a patch
    /// grid of the input fits, in the order they run, with their output shapes for one image of
    /// <paramref name="inputShape"/> (default: the graph's input shape, batch 1) and the reshape inferred for each
    /// (<see cref="InferReshape"/>: the token grid, Swin's channels-last grid, none for a feature map).
    /// The shapes are measured by a forward of zeros through the node kernels alone: no forward hook fires.
    /// </summary>
    /// <exception cref="ArgumentException">The graph's input shape is not fixed and none is given.</exception>
    public IReadOnlyList<OnnxLayer> ExplainableLayers(long[]? inputShape = null, bool withTokens = false) =>
        Measured(inputShape).Where(l => l.Reshape is not null && (l.OutputShape!.Length == 4 || withTokens)).ToArray();

    /// <summary>
    /// The default CAM layer, measured with the graph's input shape (or <paramref name="inputShape"/>): in a
    /// transformer whose attention runs on tokens <c>[N,T,C]</c> (a ViT), the last block's first norm (the last node
    /// before the last attention Softmax that every path from the block's input to it passes through and whose output
    /// has the block input's shape; the class token dropped by its inferred reshape), as for the zoo ViT; otherwise the
    /// last node whose output is a feature map with more than one position, i.e. the last before global pooling.
    /// </summary>
    /// <exception cref="InvalidOperationException">No node outputs a feature map.</exception>
    public OnnxLayer DefaultLayer(long[]? inputShape = null)
    {
        var layers = Measured(inputShape);
        if (TransformerBlocks.FirstNormOfLastBlock(_plan, layers.Select(l => l.OutputShape).ToArray()) is int norm
            && layers[norm].Reshape?.Layout == ActivationLayout.Tokens)
            return layers[norm];
        return layers.LastOrDefault(l => l.OutputShape is { Length: 4 } && l.Reshape is not null && l.OutputShape[2] * l.OutputShape[3] > 1)
            ?? throw new InvalidOperationException("No node of the graph outputs a feature map [N,C,h,w] with more than one position.");
    }

    /// <summary>
    /// Every node with its output shape for <paramref name="inputShape"/> and, where the output is a feature map, a
    /// channels-last grid or tokens of the input's batch that a patch grid fits, the reshape that makes it a feature map.
    /// </summary>
    private OnnxLayer[] Measured(long[]? inputShape)
    {
        var device = parameters().FirstOrDefault()?.device ?? CPU;
        var shapes = ShapeProbe.OutputShapes(_plan, StoredValues(), InputShape, inputShape, device);
        var input = inputShape ?? InputShape.Select((d, i) => i == 0 && d < 0 ? 1 : d).ToArray();
        return _plan.Steps.Select((s, i) => s.Layer with { OutputShape = shapes[i], Reshape = shapes[i] is { } shape ? Reshape(shape, input) : null }).ToArray();
    }

    private static ActivationReshape? Reshape(long[] output, long[] input) => (output.Length, input.Length) switch
    {
        (4, 4) => TokenGrid.Infer(output, input[2], input[3], ""),
        (4, _) => ActivationReshape.None,
        (3, 4) when output[0] == input[0] => TokenGrid.TryInfer(output[1], input[2], input[3]) is { } tokens && tokens.GridHeight * tokens.GridWidth > 1 ? tokens : null,
        _ => null,
    };

    /// <summary>
    /// How <paramref name="layer"/>'s output becomes a feature map, inferred from its shape for an input of
    /// <paramref name="inputShape"/> (default: the graph's, batch 1): <see cref="ActivationReshape.None"/> for a
    /// feature map <c>[N,C,h,w]</c>; <see cref="ActivationReshape.Swin"/> for a channels-last grid <c>[N,h,w,C]</c>
    /// (axes 1 and 2, not 2 and 3, divide the image by one patch size); for transformer tokens <c>[N,T,C]</c> a token reshape onto the largest patch grid of
    /// the input that the tokens fill, the tokens left over (class and register tokens) taken as the leading prefix
    /// (a ViT-B/16 at 224×224: 197 tokens, a 14×14 grid and one class token); <see cref="ActivationReshape.None"/> for
    /// any other output too, which a CAM then refuses as no feature map.
    /// </summary>
    /// <param name="layer">A node name, output tensor name or module path.</param>
    /// <param name="inputShape">The input shape <c>[N,3,H,W]</c> the layer will see.</param>
    /// <exception cref="ArgumentException">The layer is not in the graph, or no patch grid fits its tokens.</exception>
    public ActivationReshape InferReshape(string layer, long[]? inputShape = null)
    {
        ArgumentNullException.ThrowIfNull(layer);
        string path = _layers.ToModulePath(layer);
        var device = parameters().FirstOrDefault()?.device ?? CPU;
        var shapes = ShapeProbe.OutputShapes(_plan, StoredValues(), InputShape, inputShape, device);
        int step = _plan.Steps.Select((s, i) => (s, i)).First(t => t.s.Layer.ModulePath == path).i;
        var output = shapes[step] ?? throw new ArgumentException($"Layer '{layer}' produced no output in the shape probe.", nameof(layer));
        var input = inputShape ?? InputShape.ToArray();
        return input.Length == 4 ? TokenGrid.Infer(output, input[2], input[3], layer) : ActivationReshape.None;
    }

    /// <inheritdoc />
    public string ToModulePath(string name) => _layers.ToModulePath(name);

    /// <summary>
    /// The nodes whose outputs are a transformer's block outputs, one per attention Softmax (module paths, in run order),
    /// found from the graph's structure: each is a node after which its output is the only computed value later nodes
    /// read (LeGrad needs them).
    /// </summary>
    /// <exception cref="InvalidOperationException">The graph has fewer than two attention layers, or its blocks' outputs
    /// are not such values (the message says which).</exception>
    public IReadOnlyList<string> TokenBlocks => _blocks.Value.Select(i => _plan.Steps[i].Layer.ModulePath).ToArray();

    /// <summary>
    /// The graph's output computed from <paramref name="blockOutput"/> taken as the last block's output: the nodes after
    /// it (the final norm, the class token's selection and the head of a ViT), run on it. Differentiable; no hooks fire.
    /// </summary>
    /// <exception cref="InvalidOperationException">The block outputs cannot be found (see <see cref="TokenBlocks"/>).</exception>
    public Tensor ClassifyTokens(Tensor blockOutput)
    {
        ArgumentNullException.ThrowIfNull(blockOutput);
        return _plan.RunAfter(_blocks.Value[^1], blockOutput, StoredValues());
    }

    /// <summary>The current stored values (wherever the model now lives), in the plan's order.</summary>
    private Tensor[] StoredValues()
    {
        var parameters = named_parameters(recurse: false).ToDictionary(p => p.name, p => (Tensor)p.parameter);
        var buffers = named_buffers(recurse: false).ToDictionary(b => b.name, b => b.buffer);
        return _stored.Select(s => s.IsParameter ? parameters[s.Path] : buffers[s.Path]).ToArray();
    }

    /// <summary>The current value of a stored initializer or Constant, or null for another slot.</summary>
    private Tensor? StoredValue(int slot) =>
        _storedBySlot.TryGetValue(slot, out var stored) ? stored.IsParameter ? get_parameter(stored.Path) : get_buffer(stored.Path) : null;
}
