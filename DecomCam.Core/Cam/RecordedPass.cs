using static TorchSharp.torch;

namespace DecomCamNet.Cam;

/// <summary>
/// A forward pass that a method runs itself (<see cref="CamMethod.ForwardRecorded"/>), still attached to its graph: the
/// input rows [M,C,H,W] (requiring a gradient), the model output, the target score of each row [M] and each target layer's
/// output as the layer produced it (before any <see cref="ActivationReshape"/>).
/// </summary>
public sealed record RecordedPass(Tensor Input, Tensor Output, Tensor Scores, IReadOnlyList<Tensor> LayerOutputs);
