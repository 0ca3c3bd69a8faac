using static TorchSharp.torch;

namespace DecomCamNet.Onnx.Operators;

/// <summary>One node's computation: its inputs in ONNX order (null for an omitted optional input) to its first output.</summary>
internal delegate Tensor OnnxKernel(IReadOnlyList<Tensor?> inputs);

/// <summary>The computation of a node with several outputs (Split): its inputs to all its outputs, in ONNX order.</summary>
internal delegate Tensor[] OnnxMultiKernel(IReadOnlyList<Tensor?> inputs);
