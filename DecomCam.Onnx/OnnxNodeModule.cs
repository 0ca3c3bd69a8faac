using DecomCamNet.Models;
using DecomCamNet.Onnx.Operators;
using static TorchSharp.torch;

namespace DecomCamNet.Onnx;

/// <summary>
/// One graph node as a module, so that forward hooks fire on it. The graph passes the node's first input through
/// <c>call</c> and the whole input list through the call's <see cref="NodeInvocation"/>; the call returns the first
/// output, and a node with several outputs hands the others back through the same invocation. The module keeps no state
/// between or during calls. A Gemm or
/// MatMul node with a constant weight is an <see cref="ILinearLayer"/> (CAM's classifier), a Conv node with a bias or a
/// BatchNormalization node an <see cref="IChannelBiasLayer"/> (FullGrad), a Relu node an <see cref="IRectifierLayer"/> (Guided Backpropagation).
/// An attention Softmax (one whose output is the left operand of a MatMul, directly or through Dropout and Identity
/// nodes: the probabilities that weight the values)
/// has a child <c>attn_probs</c> (<see cref="AttentionProbabilities"/>) that its graph passes the probabilities through
/// (<see cref="ExposeAttention"/>), so the attention methods find and hook it as they do the zoo ViT's.
/// </summary>
internal sealed class OnnxNodeModule : nn.Module<Tensor, Tensor>, ILinearLayer, IChannelBiasLayer, IRectifierLayer
{
    private readonly OnnxMultiKernel _kernel;
    private readonly ConstantInputs _constants;
    private readonly Func<ConstantInputs, Tensor?>? _linearWeight;
    private readonly Func<ConstantInputs, Tensor?>? _linearBias;
    private readonly Func<ConstantInputs, Tensor?>? _channelBias;
    private readonly AttentionProbabilities? attn_probs; // registered under its field name, the convention's

    public OnnxNodeModule(string name, string opType, OnnxMultiKernel kernel, ConstantInputs constants,
        Func<ConstantInputs, Tensor?>? linearWeight, Func<ConstantInputs, Tensor?>? linearBias, Func<ConstantInputs, Tensor?>? channelBias,
        bool isAttention) : base(name)
    {
        if (isAttention)
        {
            attn_probs = new AttentionProbabilities();
            RegisterComponents();
        }
        _kernel = kernel;
        IsRectifier = opType == "Relu";
        _constants = constants;
        _linearWeight = linearWeight;
        _linearBias = linearBias;
        _channelBias = channelBias;
    }

    /// <inheritdoc />
    public bool IsLinear => _linearWeight is not null;

    /// <inheritdoc />
    public Tensor? LinearWeight => _linearWeight?.Invoke(_constants);

    /// <inheritdoc />
    public bool IsRectifier { get; }

    /// <inheritdoc />
    public Tensor? LinearBias => _linearBias?.Invoke(_constants);

    /// <inheritdoc />
    public bool HasChannelBias => _channelBias is not null;

    /// <inheritdoc />
    public Tensor? ChannelBias => _channelBias?.Invoke(_constants);

    /// <summary>Whether the node is an attention Softmax with an <c>attn_probs</c> child.</summary>
    public bool IsAttention => attn_probs is not null;

    /// <summary>
    /// Passes an attention Softmax's output through the <c>attn_probs</c> child as <c>[N, heads, T, T]</c> (a 3-D
    /// <c>[N·heads, T, T]</c>, as PyTorch's <c>MultiheadAttention</c> exports it, viewed so; a 4-D one as it is, Swin's
    /// <c>[N·windows, heads, T, T]</c> included) and returns a view of the child's output in the original shape, which
    /// the graph's later nodes read: gradients reach what hooks on the child record. Any other output (not square over
    /// its last two axes, or whose leading axis is no multiple of the batch) is returned unchanged and is not exposed.
    /// </summary>
    /// <param name="probabilities">The node's output; disposed when replaced.</param>
    /// <param name="batch">The graph input's batch size.</param>
    public Tensor ExposeAttention(Tensor probabilities, long batch)
    {
        var shape = probabilities.shape;
        if (attn_probs is null || shape.Length is not (3 or 4) || shape[^1] != shape[^2] || batch < 1 || shape[0] % batch != 0)
            return probabilities;
        using var grouped = shape.Length == 4 ? probabilities.alias() : probabilities.view(batch, shape[0] / batch, shape[1], shape[2]);
        using var recorded = attn_probs.call(grouped);
        var restored = recorded.view(shape);
        probabilities.Dispose();
        return restored;
    }

    /// <summary>Runs the node's kernel on <paramref name="arguments"/> (no hooks): all its outputs, in ONNX order.</summary>
    public Tensor[] Compute(IReadOnlyList<Tensor?> arguments) => _kernel(arguments);

    /// <summary>Runs the node on the inputs of the current <see cref="NodeInvocation"/>; <paramref name="input"/> is its first.</summary>
    public override Tensor forward(Tensor input)
    {
        var invocation = NodeInvocation.Of(this);
        var outputs = Compute(invocation.Arguments);
        invocation.OtherOutputs = outputs[1..];
        return outputs[0];
    }
}
