using System.Globalization;

namespace DecomCamNet.Evaluation.Scenes;

/// <summary>
/// What a <see cref="SceneGenerator"/> draws, and how hard the scenes are. Intensities are in [0, 1] units of the RGB
/// range (0.1 is about 25 levels of 255); luminance is Rec. 601 (0.299 R + 0.587 G + 0.114 B).
/// </summary>
/// <param name="Size">Width and height in pixels (16-1024).</param>
/// <param name="MinObjects">Fewest objects per scene (0 or more).</param>
/// <param name="MaxObjects">Most objects per scene (MinObjects-16); the count is uniform in [MinObjects, MaxObjects].</param>
/// <param name="ClutterDensity">Expected distractors (small blobs and line segments, not objects) per 32x32 pixels (0-10).
/// The default 0.5 gives 8 per 128x128 scene.</param>
/// <param name="NoiseSigma">Standard deviation of the per-pixel, per-channel noise added last (0-0.5).</param>
/// <param name="TextureAmplitude">Largest per-channel amplitude of the background texture (stripes, checker or value
/// noise) and of its linear gradient (0-1).</param>
/// <param name="MinObjectSize">Smallest object diameter (of the circle it fits in) as a fraction of Size; at least 4 pixels.</param>
/// <param name="MaxObjectSize">Largest object diameter as a fraction of Size (MinObjectSize-0.9); uniform in between.</param>
/// <param name="OverlapProbability">Chance that an object after the first is placed against an earlier one (so that it
/// overlaps it) rather than anywhere (0-1).</param>
/// <param name="MaxOcclusion">Largest fraction of an object's own pixels that later objects may hide (0-0.9).</param>
/// <param name="MinContrast">Smallest luminance difference between an object's colour and the background under its
/// centre (0-0.45).</param>
/// <param name="MaxContrast">Largest such difference (MinContrast-1).</param>
/// <param name="ObjectShading">Largest per-channel amplitude of a linear shading across each object (0-0.5).</param>
/// <param name="AntiAlias">Whether colours average 3x3 sub-pixel samples (masks always use the pixel centre).</param>
public sealed record SceneOptions(
    int Size = 128,
    int MinObjects = 1,
    int MaxObjects = 3,
    double ClutterDensity = 0.5,
    double NoiseSigma = 0.04,
    double TextureAmplitude = 0.15,
    double MinObjectSize = 0.15,
    double MaxObjectSize = 0.4,
    double OverlapProbability = 0.7,
    double MaxOcclusion = 0.45,
    double MinContrast = 0.12,
    double MaxContrast = 1.0,
    double ObjectShading = 0.06,
    bool AntiAlias = true)
{
    /// <summary>The default options (128x128, 1-3 objects).</summary>
    public static SceneOptions Default { get; } = new();

    /// <summary>One object, no clutter, no texture, little noise, high contrast: the easy share of the demo model's
    /// training scenes, which gets it off the chance-level plateau.</summary>
    public static SceneOptions Easy { get; } = new(MaxObjects: 1, ClutterDensity: 0, NoiseSigma: 0.02, TextureAmplitude: 0,
        OverlapProbability: 0, MinContrast: 0.3);

    /// <summary>
    /// A harder preset: low contrast (0.06-0.3), strong texture (0.25) and noise (0.06), twice the clutter, 1-4 objects
    /// that nearly always touch and may lose up to 60% of their pixels.
    /// </summary>
    public static SceneOptions Hard { get; } = new(MaxObjects: 4, ClutterDensity: 1.0, NoiseSigma: 0.06, TextureAmplitude: 0.25,
        OverlapProbability: 0.9, MaxOcclusion: 0.6, MinContrast: 0.06, MaxContrast: 0.3);

    /// <summary>Checks every option; <see cref="SceneGenerator"/> calls it.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the parameter name is the option's.</exception>
    public void Validate()
    {
        if (Size is < 16 or > 1024)
            throw Bad(nameof(Size), Size, "must be 16 to 1024 pixels");
        if (MinObjects < 0)
            throw Bad(nameof(MinObjects), MinObjects, "must be 0 or more");
        if (MaxObjects < MinObjects || MaxObjects > 16)
            throw Bad(nameof(MaxObjects), MaxObjects, string.Create(CultureInfo.InvariantCulture, $"must be from MinObjects ({MinObjects}) to 16"));
        Range(nameof(ClutterDensity), ClutterDensity, 0, 10);
        Range(nameof(NoiseSigma), NoiseSigma, 0, 0.5);
        Range(nameof(TextureAmplitude), TextureAmplitude, 0, 1);
        Range(nameof(MinObjectSize), MinObjectSize, 0, 0.9);
        if (MinObjectSize * Size < 4)
            throw Bad(nameof(MinObjectSize), MinObjectSize, string.Create(CultureInfo.InvariantCulture, $"gives objects under 4 pixels across at Size {Size}"));
        Range(nameof(MaxObjectSize), MaxObjectSize, MinObjectSize, 0.9, string.Create(CultureInfo.InvariantCulture, $"must be from MinObjectSize ({MinObjectSize}) to 0.9"));
        Range(nameof(OverlapProbability), OverlapProbability, 0, 1);
        Range(nameof(MaxOcclusion), MaxOcclusion, 0, 0.9);
        Range(nameof(MinContrast), MinContrast, 0, 0.45);
        Range(nameof(MaxContrast), MaxContrast, MinContrast, 1, string.Create(CultureInfo.InvariantCulture, $"must be from MinContrast ({MinContrast}) to 1"));
        Range(nameof(ObjectShading), ObjectShading, 0, 0.5);
    }

    private static void Range(string name, double value, double lo, double hi, string? why = null)
    {
        if (!(value >= lo && value <= hi))
            throw Bad(name, value, why ?? string.Create(CultureInfo.InvariantCulture, $"must be from {lo} to {hi}"));
    }

    private static ArgumentOutOfRangeException Bad(string name, object value, string why) =>
        new(name, value, string.Create(CultureInfo.InvariantCulture, $"SceneOptions.{name} {why}; got {value}."));
}
