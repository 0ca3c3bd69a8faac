namespace DecomCamNet.Evaluation.Scenes;

/// <summary>
/// SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014): a 64-bit counter
/// advanced by the golden-ratio increment and hashed by two xor-shift-multiply rounds. Integer arithmetic only, so the
/// stream is the same on every machine and runtime; doubles are made from the top 53 bits, which is exact.
/// </summary>
/// <remarks>Each scene gets its own generator seeded from a hash of (seed, index), so scene i of seed s depends only on (s, i).</remarks>
internal sealed class SceneRandom
{
    private const ulong Golden = 0x9E3779B97F4A7C15UL;
    private ulong _state;

    internal SceneRandom(ulong state) => _state = state;

    /// <summary>The generator of scene <paramref name="index"/> of <paramref name="seed"/>.</summary>
    internal static SceneRandom ForScene(int seed, int index) =>
        new(Mix(unchecked(Mix(unchecked((ulong)(long)seed + 0x5CE4E5C0FFEE1234UL)) ^ ((ulong)(long)index * Golden))));

    /// <summary>The SplitMix64 finaliser (a bijection on 64-bit integers).</summary>
    internal static ulong Mix(ulong z)
    {
        unchecked
        {
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }

    internal ulong NextUInt64()
    {
        unchecked
        {
            _state += Golden;
        }
        return Mix(_state);
    }

    /// <summary>A double in [0, 1) with 53 random bits.</summary>
    internal double NextDouble() => (NextUInt64() >> 11) * (1.0 / 9007199254740992.0);

    /// <summary>A double in [lo, hi).</summary>
    internal double Uniform(double lo, double hi) => lo + (hi - lo) * NextDouble();

    /// <summary>An integer in [0, n) by Lemire's multiply-shift (bias below 2^-32, irrelevant here).</summary>
    internal int NextInt(int n) => (int)(((NextUInt64() >> 32) * (ulong)n) >> 32);

    /// <summary>A value of roughly unit variance: the sum of four 16-bit uniforms (Irwin-Hall), centred and scaled.</summary>
    internal double NextNoise()
    {
        ulong z = NextUInt64();
        double sum = (z & 0xFFFF) + ((z >> 16) & 0xFFFF) + ((z >> 32) & 0xFFFF) + (z >> 48) + 2.0;
        // Each term + 0.5 is uniform on (0, 65536); four of them have mean 131072 and variance 4 * 65536^2 / 12.
        return (sum - 131072.0) * (1.7320508075688772 / 65536.0);
    }
}
