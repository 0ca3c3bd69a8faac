using System.Globalization;
using DecomCamNet.Imaging;

namespace DecomCamNet.Batches;

/// <summary>
/// The settings that decide what an image-set run writes, as names and values in words (<c>method</c> → <c>decomcam</c>):
/// recorded in the run's plan (<see cref="ShardPlan.Settings"/>) and compared when the run is resumed or its shards merged,
/// so that one manifest never holds the rows of two different runs.
/// </summary>
public static class RunSettings
{
    /// <summary>
    /// Each setting whose value differs between <paramref name="first"/> and <paramref name="second"/> (or that only one
    /// of them has), by name: <c>method: decomcam (recorded) vs gradcam (now)</c> for the labels <c>recorded</c> and <c>now</c>.
    /// </summary>
    public static IReadOnlyList<string> Differences(IReadOnlyDictionary<string, string> first, IReadOnlyDictionary<string, string> second,
        string firstLabel, string secondLabel)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        return first.Keys.Union(second.Keys).Order(StringComparer.Ordinal)
            .Select(name => (name, a: first.GetValueOrDefault(name), b: second.GetValueOrDefault(name)))
            .Where(s => s.a != s.b)
            .Select(s => $"{s.name}: {s.a ?? "(not set)"} ({firstLabel}) vs {s.b ?? "(not set)"} ({secondLabel})")
            .ToList();
    }

    /// <summary>How <paramref name="preprocessing"/> turns files into inputs, in words (every field that changes the pixels).</summary>
    public static string Describe(ImagePreprocessing preprocessing)
    {
        ArgumentNullException.ThrowIfNull(preprocessing);
        static string Numbers(IEnumerable<float> values) => string.Join(",", values.Select(v => v.ToString(CultureInfo.InvariantCulture)));
        return string.Create(CultureInfo.InvariantCulture,
            $"resize {preprocessing.Resize?.ToString(CultureInfo.InvariantCulture) ?? "none"} ({preprocessing.Filter.ToString().ToLowerInvariant()}), " +
            $"crop {preprocessing.CenterCrop?.ToString(CultureInfo.InvariantCulture) ?? "none"}, mean {Numbers(preprocessing.Mean)}, " +
            $"std {Numbers(preprocessing.Std)}, pixel scale {preprocessing.PixelScale}, max pixels {preprocessing.MaxPixels}");
    }
}
