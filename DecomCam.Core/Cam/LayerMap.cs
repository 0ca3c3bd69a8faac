using static TorchSharp.torch;

namespace DecomCamNet;

/// <summary>
/// What a method computes for one layer: the raw map [M,h,w] before ReLU/normalisation/resizing (any spatial size;
/// it is resized to the input), and optional named intermediates that the result exposes.
/// </summary>
public sealed record LayerMap(Tensor Raw, IReadOnlyDictionary<string, Tensor>? Intermediates = null);
