using static TorchSharp.torch;

namespace DecomCamNet.Onnx;

/// <summary>
/// One call of one graph node: its inputs in ONNX order and, once it has run, its outputs after the first. TorchSharp's
/// <c>call</c> (which fires the forward hooks) passes one tensor, so <see cref="Call"/> makes the call's frame visible to
/// <see cref="OnnxNodeModule.forward"/> on the calling thread only, for the duration of that call, and restores the
/// outer frame after it. Nothing is kept on the module: calls from several threads, or a hook that runs the graph again,
/// each see their own frame.
/// </summary>
internal sealed class NodeInvocation
{
    [ThreadStatic] private static NodeInvocation? s_current;

    private NodeInvocation(OnnxNodeModule module, IReadOnlyList<Tensor?> arguments)
    {
        Module = module;
        Arguments = arguments;
    }

    /// <summary>The node being called.</summary>
    public OnnxNodeModule Module { get; }

    /// <summary>The node's inputs in ONNX order; null entries are omitted optional inputs.</summary>
    public IReadOnlyList<Tensor?> Arguments { get; }

    /// <summary>The outputs after the first, set by the node's forward; the caller of <see cref="Call"/> owns them.</summary>
    public Tensor[] OtherOutputs { get; set; } = Array.Empty<Tensor>();

    /// <summary>
    /// Runs <paramref name="module"/> through <c>call</c> (its forward hooks fire, and a hook may replace the first output)
    /// on <paramref name="arguments"/>; returns all its outputs, the first one first.
    /// </summary>
    public static Tensor[] Call(OnnxNodeModule module, IReadOnlyList<Tensor?> arguments)
    {
        var invocation = new NodeInvocation(module, arguments);
        var outer = s_current;
        s_current = invocation;
        Tensor first;
        try { first = module.call(arguments[0]!); }
        finally { s_current = outer; }
        return [first, .. invocation.OtherOutputs];
    }

    /// <summary>The call of <paramref name="module"/> now running on this thread.</summary>
    /// <exception cref="InvalidOperationException">The module is called other than by its graph.</exception>
    public static NodeInvocation Of(OnnxNodeModule module) =>
        s_current is { } current && ReferenceEquals(current.Module, module) ? current
            : throw new InvalidOperationException($"The ONNX node module '{module.GetName()}' runs only as part of its OnnxModel's forward.");
}
