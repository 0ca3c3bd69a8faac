using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet.Native;

/// <summary>
/// Common tensor operations written with every native <see cref="Scalar"/> held for the call. TorchSharp's
/// <c>arange(stop)</c>, <c>arange(start, stop)</c>, <c>1 - t</c> and <c>t.ToDouble()</c> make Scalars inside that only
/// the finalizer frees (see <see cref="CachedScalars"/>); these do the same work without them.
/// </summary>
public static class OwnedScalarOps
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

    /// <summary><c>1 - t</c>, computed as TorchSharp computes it (<c>(-t) + 1</c>).</summary>
    public static Tensor OneMinus(Tensor t)
    {
        using var negative = t.negative();
        return negative.add(CachedScalars.One, CachedScalars.One);
    }

    /// <summary>The value of a one-element tensor as a double (what <c>t.ToDouble()</c> returns), read without a Scalar.</summary>
    public static double ToDoubleValue(Tensor t)
    {
        using var value = t.to(ScalarType.Float64);
        return value.item<double>();
    }
}
