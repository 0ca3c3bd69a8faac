using DecomCamNet.Onnx.Operators;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet.Onnx;

/// <summary>
/// One graph node as a module, so that forward hooks fire on it. The graph passes the node's first input through
/// <c>call</c> and the whole input list through <see cref="Arguments"/>, set for the duration of the call.
/// </summary>
internal sealed class OnnxNodeModule : nn.Module<Tensor, Tensor>
{
    private readonly OnnxKernel _kernel;

    public OnnxNodeModule(string name, OnnxKernel kernel) : base(name) => _kernel = kernel;

    /// <summary>The node's inputs in ONNX order while the graph runs it; null entries are omitted optional inputs.</summary>
    public IReadOnlyList<Tensor?> Arguments { get; set; } = Array.Empty<Tensor?>();

    public override Tensor forward(Tensor input) => _kernel(Arguments);
}
