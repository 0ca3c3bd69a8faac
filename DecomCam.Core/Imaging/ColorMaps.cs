using SixLabors.ImageSharp.PixelFormats;

namespace DecomCamNet.Imaging;

/// <summary>Colour maps that turn values in [0, 1] into RGB colours.</summary>
public static class ColorMaps
{
    /// <summary>
    /// The "jet" colour map of MATLAB and OpenCV (<c>COLORMAP_JET</c>): piecewise linear from dark blue (0, 0, 128) at 0
    /// through blue (0.125), cyan (0.375), green-yellow (0.5), yellow (0.625), red (0.875) to dark red (128, 0, 0) at 1.
    /// </summary>
    /// <remarks>
    /// Each channel is <c>clamp(1.5 - |4v - k|, 0, 1)</c> with k = 3 (red), 2 (green), 1 (blue), scaled by 255 and
    /// rounded half away from zero. Evaluated at <c>i / 255</c> it is within one level of OpenCV's 256-entry table for
    /// every i. Values outside [0, 1] are clamped.
    /// </remarks>
    /// <param name="value">The value to colour; clamped to [0, 1].</param>
    /// <returns>The colour.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is NaN.</exception>
    public static Rgb24 Jet(float value)
    {
        if (float.IsNaN(value))
            throw new ArgumentOutOfRangeException(nameof(value), value, "A colour map cannot colour NaN.");
        float v = Math.Clamp(value, 0f, 1f);
        float x = 4f * v;
        return new Rgb24(Channel(x, 3f), Channel(x, 2f), Channel(x, 1f));
    }

    private static byte Channel(float x, float center)
    {
        float c = Math.Clamp(1.5f - MathF.Abs(x - center), 0f, 1f);
        return (byte)MathF.Round(255f * c, MidpointRounding.AwayFromZero);
    }
}
