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
/// </summary>
internal sealed class OnnxNodeModule : nn.Module<Tensor, Tensor>, ILinearLayer, IChannelBiasLayer, IRectifierLayer
{
    private readonly OnnxMultiKernel _kernel;
    private readonly ConstantInputs _constants;
    private readonly Func<ConstantInputs, Tensor?>? _linearWeight;
    private readonly Func<ConstantInputs, Tensor?>? _linearBias;
    private readonly Func<ConstantInputs, Tensor?>? _channelBias;

    public OnnxNodeModule(string name, string opType, OnnxMultiKernel kernel, ConstantInputs constants,
        Func<ConstantInputs, Tensor?>? linearWeight, Func<ConstantInputs, Tensor?>? linearBias, Func<ConstantInputs, Tensor?>? channelBias) : base(name)
    {
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
