using DecomCamNet.Native;

namespace DecomCamNet.Models;

/// <summary>
/// A model that computes its 2-D convolutions through <see cref="OneDnnSafeConvolution"/> itself (the ONNX interpreter),
/// so <see cref="LibTorchBackends.SafeForward"/> never turns oneDNN off for it.
/// </summary>
public interface IRoutedConvolutions
{
}
