using DecomCamNet.Onnx.Operators;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet.Onnx;

/// <summary>
/// One graph node as a module, so that forward hooks fire on it. The graph passes the node's first input through
/// <c>call</c> and the whole input list through <see cref="Arguments"/>, set for the duration of the call; the call
/// returns the first output, and a node with several outputs keeps the others for <see cref="TakeOtherOutputs"/>. A Gemm or
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

    /// <summary>The node's inputs in ONNX order while the graph runs it; null entries are omitted optional inputs.</summary>
    public IReadOnlyList<Tensor?> Arguments { get; set; } = Array.Empty<Tensor?>();

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

    private Tensor[] _otherOutputs = Array.Empty<Tensor>();

    /// <summary>The outputs after the first of the last call; the caller owns them, and a second take returns none.</summary>
    public Tensor[] TakeOtherOutputs()
    {
        var others = _otherOutputs;
        _otherOutputs = Array.Empty<Tensor>();
        return others;
    }

    public override Tensor forward(Tensor input)
    {
        var outputs = _kernel(Arguments);
        _otherOutputs = outputs[1..];
        return outputs[0];
    }
}
