using static TorchSharp.torch;

namespace DecomCamNet.Models;

/// <summary>
/// A layer that is not a TorchSharp <c>Conv2d</c> or <c>BatchNorm2d</c> module but adds a constant bias per channel to
/// its output <c>[N,C,h,w]</c>, such as an imported graph's Conv node with a bias or its BatchNormalization node (in
/// evaluation, b − μ·γ/√(σ² + ε)). FullGrad takes the bias-gradient term of every such layer.
/// </summary>
public interface IChannelBiasLayer
{
    /// <summary>Whether this layer adds a constant bias per channel (<see cref="ChannelBias"/> is then not null); cheap,
    /// unlike reading the bias.</summary>
    bool HasChannelBias { get; }

    /// <summary>The bias as <c>[C]</c>, detached, on the layer's device; null when this layer adds no constant bias.</summary>
    Tensor? ChannelBias { get; }
}
