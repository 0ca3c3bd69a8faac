using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Support;

/// <summary>
/// Bit-exact C# port of reference/detinit.py: a seed-free fill in which every value depends only on the element index
/// and an FNV-1a hash of the tensor's name, so Python and C# build identical float32 tensors.
/// </summary>
internal static class DeterministicInit
{
    private const ulong Mask32 = 0xFFFF_FFFFUL;

    /// <summary>32-bit FNV-1a of the UTF-8 bytes of <paramref name="name"/>.</summary>
    public static uint Fnv1a32(string name)
    {
        uint h = 0x811C9DC5;
        foreach (var b in Encoding.UTF8.GetBytes(name))
        {
            h ^= b;
            h = unchecked(h * 0x01000193);
        }
        return h;
    }

    /// <summary>Element i (0-based) of detinit.uniform01: a value in [0, 1) as a double.</summary>
    public static double Uniform01(uint nameHash, long index)
    {
        unchecked
        {
            ulong i = (ulong)index + 1;
            ulong x = (i * 0x9E3779B1UL + nameHash) & Mask32;
            x ^= x >> 16;
            x = (x * 0x45D9F3BUL) & Mask32;
            x ^= x >> 16;
            x = (x * 0x45D9F3BUL) & Mask32;
            x ^= x >> 16;
            return x / 4294967296.0;
        }
    }

    private enum Rule { Zero, RunningVar, Small, NormWeight, FanIn, Other }

    private readonly record struct Plan(uint Hash, Rule Rule, double Scale, long Count);

    /// <summary>The float32 values (C order) that detinit.fill_value(name, shape) produces.</summary>
    public static float[] FillValue(string name, long[] shape)
    {
        var plan = MakePlan(name, shape);
        var values = new float[checked((int)plan.Count)];
        for (int k = 0; k < values.Length; k++)
        {
            double u = Uniform01(plan.Hash, k);
            double s = 2.0 * u - 1.0;
            double v = plan.Rule switch
            {
                Rule.Zero => 0.0,
                Rule.RunningVar => 0.5 + u,
                Rule.Small => 0.1 * s,
                Rule.NormWeight => 1.0 + 0.25 * s,
                Rule.FanIn => s * plan.Scale,
                _ => 2.0 * s,
            };
            values[k] = (float)v; // round to nearest, as numpy's astype(np.float32)
        }
        return values;
    }

    private static Plan MakePlan(string name, long[] shape)
    {
        long n = 1;
        foreach (var d in shape)
            n *= d;
        uint hash = Fnv1a32(name);
        if (name.EndsWith("num_batches_tracked", StringComparison.Ordinal))
            return new Plan(hash, Rule.Zero, 0, n);
        if (name.EndsWith("running_var", StringComparison.Ordinal))
            return new Plan(hash, Rule.RunningVar, 0, n);
        if (name.EndsWith("running_mean", StringComparison.Ordinal) || name.EndsWith("bias", StringComparison.Ordinal))
            return new Plan(hash, Rule.Small, 0, n);
        if (name.EndsWith("weight", StringComparison.Ordinal) && shape.Length == 1)
            return new Plan(hash, Rule.NormWeight, 0, n);
        if (name.EndsWith("weight", StringComparison.Ordinal))
        {
            if (shape.Length == 0)
                throw new ArgumentException($"'{name}': a weight needs a shape (detinit.py fails here too).");
            long fanIn = n / shape[0];
            return new Plan(hash, Rule.FanIn, Math.Sqrt(6.0 / fanIn), n);
        }
        return new Plan(hash, Rule.Other, 0, n);
    }

    /// <summary>detinit.fill_value("input", shape) as a float32 CPU tensor.</summary>
    public static Tensor Input(long[] shape) => tensor(FillValue("input", shape), shape);

    /// <summary>
    /// detinit.fill_module: fills every floating-point state-dict entry with <see cref="FillValue"/> of its key and
    /// zeroes every integer entry, in place under no_grad.
    /// </summary>
    /// <remarks>
    /// The same arithmetic as <see cref="FillValue"/>, run as libtorch int64/float64 kernels on cache-sized chunks: a
    /// Debug-built test assembly runs the scalar C# loop several times slower, and a VGG has 138M values. Bit
    /// equality of the two paths is tested.
    /// </remarks>
    public static T FillModule<T>(T module) where T : nn.Module
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var (key, t) in module.state_dict())
        {
            if (!t.is_floating_point())
            {
                t.zero_();
                continue;
            }
            var plan = MakePlan(key, t.shape);
            if (t.is_contiguous())
            {
                using var flat = t.view(-1);
                FillWithTorch(flat, plan);
            }
            else
            {
                using var flat = empty(plan.Count, t.dtype, t.device);
                FillWithTorch(flat, plan);
                t.copy_(flat.view(t.shape));
            }
        }
        return module;
    }

    private static void FillWithTorch(Tensor flat, Plan plan)
    {
        if (plan.Rule == Rule.Zero)
        {
            flat.zero_();
            return;
        }
        const int chunk = 1 << 14; // below libtorch's intra-op parallel grain: no thread fan-out per op
        // Every number passed to a tensor op must be a Scalar that stays reachable until the op returns: an implicit
        // temporary can be finalized by the GC during the native call (a use-after-free, seen as "toLong: Expected false
        // to be true" while filling VGG-19's 138M values). Static and using-scoped Scalars are kept alive; the bitwise ops take
        // their numbers as scalar tensors, which the chunk's dispose scope owns.
        using var hash = ((long)plan.Hash).ToScalar();
        using var scale = plan.Scale.ToScalar();
        for (long begin = 0; begin < plan.Count; begin += chunk)
        {
            using var scope = NewDisposeScope();
            int count = (int)Math.Min(chunk, plan.Count - begin);
            var x = arange(begin + 1, begin + count + 1, ScalarType.Int64);
            x.mul_(S.Golden).add_(hash, S.OneInt).bitwise_and_((long)Mask32); // add_(Scalar) alone makes an implicit alpha
            x.bitwise_xor_(x.bitwise_right_shift(16));
            x.mul_(S.Mix).bitwise_and_((long)Mask32);
            x.bitwise_xor_(x.bitwise_right_shift(16));
            x.mul_(S.Mix).bitwise_and_((long)Mask32);
            x.bitwise_xor_(x.bitwise_right_shift(16));
            var u = x.to(ScalarType.Float64).div_(S.TwoTo32);
            var v = plan.Rule switch
            {
                Rule.RunningVar => u.add_(S.Half, S.One),
                Rule.Small => u.mul_(S.Two).sub_(S.One).mul_(S.Tenth),
                Rule.NormWeight => u.mul_(S.Two).sub_(S.One).mul_(S.Quarter).add_(S.One, S.One),
                Rule.FanIn => u.mul_(S.Two).sub_(S.One).mul_(scale),
                _ => u.mul_(S.Two).sub_(S.One).mul_(S.Two),
            };
            flat.narrow(0, begin, count).copy_(v);
        }
    }

    /// <summary>The constants of <see cref="FillWithTorch"/> as process-lifetime Scalars.</summary>
    private static class S
    {
        public static readonly Scalar Golden = 0x9E3779B1L.ToScalar();
        public static readonly Scalar Mix = 0x45D9F3BL.ToScalar();
        public static readonly Scalar OneInt = 1L.ToScalar();
        public static readonly Scalar TwoTo32 = 4294967296.0.ToScalar();
        public static readonly Scalar Half = 0.5.ToScalar();
        public static readonly Scalar One = 1.0.ToScalar();
        public static readonly Scalar Two = 2.0.ToScalar();
        public static readonly Scalar Tenth = 0.1.ToScalar();
        public static readonly Scalar Quarter = 0.25.ToScalar();
    }
}
