namespace DecomCamNet.Models;

/// <summary>
/// A layer that is not a TorchSharp <c>ReLU</c> module but applies max(0, x) to its input, such as an imported graph's
/// Relu node. Guided Backpropagation guides these as it guides ReLU modules.
/// </summary>
public interface IRectifierLayer
{
    /// <summary>Whether this layer is a rectifier (max(0, x) of its first input, nothing else).</summary>
    bool IsRectifier { get; }
}
