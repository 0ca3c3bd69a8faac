using static TorchSharp.torch;

namespace DecomCamNet.Onnx;

/// <summary>What <see cref="OnnxImporter"/> makes of a model; <see cref="OnnxModel"/> registers its tensors and modules.</summary>
/// <param name="Opset">The default domain's opset.</param>
/// <param name="InputName">The image input's name.</param>
/// <param name="InputShape">The input's declared shape, -1 for a symbolic dimension.</param>
/// <param name="OutputName">The output the plan returns.</param>
/// <param name="Stored">The initializers and Constants, in the plan's stored order.</param>
/// <param name="Plan">How the graph runs.</param>
/// <param name="Layers">The names that select its nodes.</param>
internal sealed record ImportedGraph(long Opset, string InputName, long[] InputShape, string OutputName,
    IReadOnlyList<StoredTensor> Stored, ExecutionPlan Plan, LayerIndex Layers);

/// <summary>An initializer or Constant: its value slot, its parameter or buffer name, its value, and which of the two it is.</summary>
internal sealed record StoredTensor(int Slot, string Path, Tensor Value, bool IsParameter);
