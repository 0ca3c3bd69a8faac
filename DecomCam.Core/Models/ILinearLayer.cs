using static TorchSharp.torch;

namespace DecomCamNet.Models;

/// <summary>
/// A layer that is not a TorchSharp <c>Linear</c> module but maps its input linearly, <c>y = x Wᵀ + b</c>, such as an
/// imported graph's Gemm or MatMul node with constant weights. CAM and Deep Feature Factorization find their classifier
/// among these and read <see cref="LinearWeight"/> (and <see cref="LinearBias"/>).
/// </summary>
public interface ILinearLayer
{
    /// <summary>Whether this layer is a linear map with a constant weight (<see cref="LinearWeight"/> is then not null);
    /// cheap, unlike reading the weight.</summary>
    bool IsLinear { get; }

    /// <summary>The weight W as <c>[outputs, inputs]</c>, detached, on the layer's device; null when this layer is not a
    /// linear map with a constant weight.</summary>
    Tensor? LinearWeight { get; }

    /// <summary>The bias b as <c>[outputs]</c>, detached, on the layer's device; null when the layer adds none (or not a
    /// constant one of that shape).</summary>
    Tensor? LinearBias { get; }
}
