using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet;

/// <summary>
/// <c>torch.arange</c> over integer bounds with every native <see cref="Scalar"/> held for the call: TorchSharp's
/// <c>arange(stop)</c> and <c>arange(start, stop)</c> make their implicit start and step Scalars inside, owned only by the
/// finalizer (see <see cref="CachedScalars"/>).
/// </summary>
public static class OwnedScalarRanges
{
    /// <summary>0, 1, ..., <paramref name="stop"/> − 1 (int64 unless <paramref name="dtype"/> says otherwise).</summary>
    public static Tensor Arange(long stop, ScalarType? dtype = null, Device? device = null) => Arange(0, stop, dtype, device);

    /// <summary><paramref name="start"/>, ..., <paramref name="stop"/> − 1 (int64 unless <paramref name="dtype"/> says otherwise).</summary>
    public static Tensor Arange(long start, long stop, ScalarType? dtype = null, Device? device = null)
    {
        using var first = start.ToScalar();
        using var end = stop.ToScalar();
        return arange(first, end, CachedScalars.One, dtype, device);
    }
}
