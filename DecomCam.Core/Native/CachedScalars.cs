using TorchSharp;

namespace DecomCamNet.Native;

/// <summary>
/// Native scalars that live as long as the process. TorchSharp turns every number handed to a tensor operation, and the
/// implicit <c>alpha = 1</c> of <c>tensor + tensor</c>, into a native <see cref="Scalar"/> that no dispose scope owns:
/// it is freed only by the finalizer, which a process with little managed allocation rarely runs. Thousands of such
/// small blocks, left between the large blocks of activations, fragment glibc's heap and make resident memory creep up
/// call after call (DecomCAM on ResNet-18: +60 MB over 500 calls). Worse, a finalizer may free one while a native call
/// that was handed it still runs on a thread whose neighbours allocate (an image set's output thread clamping overlays
/// beside the model and decoder threads failed once inside <c>clamp</c>, most likely so). Code on the per-call path uses these instead, and so
/// can models written for the library (residual connections: <c>x.add(y, CachedScalars.One)</c>).
/// </summary>
public static class CachedScalars
{
    /// <summary>0, for <c>t.clamp(Zero, One)</c>.</summary>
    public static readonly Scalar Zero = 0.ToScalar();

    /// <summary>1, for <c>a.add(b, One)</c> in place of <c>a + b</c>.</summary>
    public static readonly Scalar One = 1.ToScalar();

    /// <summary>2 (an int, as the literal <c>2</c> was), for <c>t.pow(Two)</c>.</summary>
    public static readonly Scalar Two = 2.ToScalar();
}
