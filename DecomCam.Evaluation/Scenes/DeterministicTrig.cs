namespace DecomCamNet.Evaluation.Scenes;

/// <summary>
/// Sine and cosine from fixed Taylor polynomials, using only IEEE-754 additions and multiplications (and one floor),
/// so rotations are bit-identical on every machine. <see cref="Math.Sin"/> and <see cref="Math.Cos"/> call the
/// platform's C library and may differ by an ulp between operating systems, which would change rasterised edges.
/// </summary>
internal static class DeterministicTrig
{
    private const double TwoPi = 6.283185307179586;

    /// <summary>Sine and cosine of <c>2 pi turns</c> (angle given as a fraction of a full turn); error below 1e-15.</summary>
    internal static (double Sin, double Cos) SinCosTurns(double turns)
    {
        double f = turns - Math.Floor(turns);          // [0, 1)
        int q = (int)Math.Floor(f * 4.0 + 0.5);          // nearest quarter turn, 0..4
        double r = (f - q * 0.25) * TwoPi;               // [-pi/4, pi/4]
        double r2 = r * r;
        double s = r * (1.0 + r2 * (-1.0 / 6 + r2 * (1.0 / 120 + r2 * (-1.0 / 5040 + r2 * (1.0 / 362880
            + r2 * (-1.0 / 39916800 + r2 * (1.0 / 6227020800 + r2 * (-1.0 / 1307674368000))))))));
        double c = 1.0 + r2 * (-0.5 + r2 * (1.0 / 24 + r2 * (-1.0 / 720 + r2 * (1.0 / 40320
            + r2 * (-1.0 / 3628800 + r2 * (1.0 / 479001600 + r2 * (-1.0 / 87178291200)))))));
        return (q & 3) switch
        {
            0 => (s, c),
            1 => (c, -s),
            2 => (-s, -c),
            _ => (-c, s),
        };
    }
}
