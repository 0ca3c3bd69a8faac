using System.Globalization;
using DecomCamNet.Evaluation.Scenes;
using Xunit.Abstractions;

namespace DecomCamNet.Tests.Evaluation;

/// <summary>
/// Measures how hard the default scenes are (object sizes, occlusion, contrast against the local background and its
/// texture) and checks the numbers stay in the documented ranges. Run with <c>--logger "console;verbosity=detailed"</c>
/// to see them.
/// </summary>
public sealed class SceneDifficultyTests(ITestOutputHelper output)
{
    [Fact]
    public void DefaultScenes_AreAsHardAsDocumented()
    {
        var s = Measure(new SceneGenerator(11), 120);
        Assert.InRange(s.OverlapShare, 0.25, 0.9);
        Assert.InRange(Quantile(s.Occluded, 0.5), 0.05, 0.45);
        Assert.InRange(Quantile(s.Visible, 0.5), 0.015, 0.06);
        Assert.InRange(Quantile(s.Contrast, 0.1), 0.03, 0.2);
        Assert.InRange(Quantile(s.Ratio, 0.1), 0.5, 4);
    }

    [Fact]
    public void HardScenes_AreHarderThanDefault()
    {
        var s = Measure(new SceneGenerator(11, SceneOptions.Hard), 60);
        Assert.InRange(s.OverlapShare, 0.5, 1);
        Assert.InRange(Quantile(s.Contrast, 0.5), 0.03, 0.2);
        Assert.InRange(Quantile(s.Ratio, 0.5), 0.3, 3);
    }

    private sealed record Stats(double OverlapShare, List<double> Visible, List<double> Occluded, List<double> Contrast, List<double> Ratio);

    private Stats Measure(SceneGenerator gen, int count)
    {
        var visible = new List<double>();
        var occluded = new List<double>();
        var contrast = new List<double>();
        var localStd = new List<double>();
        int objects = 0, scenesWithSeveral = 0, scenesWithOverlap = 0;
        for (int i = 0; i < count; i++)
        {
            var scene = gen.Generate(i);
            int n = scene.Size;
            var luma = new double[n * n];
            for (int p = 0; p < luma.Length; p++)
                luma[p] = (0.299 * scene.Rgb[3 * p] + 0.587 * scene.Rgb[3 * p + 1] + 0.114 * scene.Rgb[3 * p + 2]) / 255.0;
            var anyObject = scene.ObjectIndexMask();
            objects += scene.Objects.Count;
            if (scene.Objects.Count > 1)
            {
                scenesWithSeveral++;
                if (scene.Objects.Any(o => o.PixelCount < o.FullPixelCount))
                    scenesWithOverlap++;
            }
            foreach (var o in scene.Objects)
            {
                visible.Add(o.PixelCount / (double)(n * n));
                if (o.PixelCount < o.FullPixelCount)
                    occluded.Add(o.OccludedFraction);
                // Background pixels within 4 px of the object's visible pixels (Chebyshev distance), other objects excluded.
                var ring = new List<double>();
                var inside = new List<double>();
                var (bx, by, bw, bh) = o.Box;
                for (int y = Math.Max(0, by - 4); y < Math.Min(n, by + bh + 4); y++)
                {
                    for (int x = Math.Max(0, bx - 4); x < Math.Min(n, bx + bw + 4); x++)
                    {
                        int p = y * n + x;
                        if (o.Mask[p])
                            inside.Add(luma[p]);
                        else if (anyObject[p] == 0 && Near(o.Mask, n, x, y, 4))
                            ring.Add(luma[p]);
                    }
                }
                if (ring.Count < 10)
                    continue;
                double ringMean = ring.Average();
                contrast.Add(Math.Abs(inside.Average() - ringMean));
                localStd.Add(Math.Sqrt(ring.Sum(v => (v - ringMean) * (v - ringMean)) / ring.Count));
            }
        }

        string Q(List<double> values, double q) => Quantile(values, q).ToString("0.000", CultureInfo.InvariantCulture);
        output.WriteLine(gen.Options.ToString());
        output.WriteLine($"{count} scenes, {objects} objects; {scenesWithOverlap}/{scenesWithSeveral} scenes with several objects have an occluded one");
        output.WriteLine($"visible area / image: p10 {Q(visible, 0.1)} p50 {Q(visible, 0.5)} p90 {Q(visible, 0.9)}");
        output.WriteLine($"occluded objects: {occluded.Count}/{objects}; hidden fraction p50 {Q(occluded, 0.5)} p90 {Q(occluded, 0.9)} max {Q(occluded, 1)}");
        output.WriteLine($"|object - surrounding background| luma: p10 {Q(contrast, 0.1)} p50 {Q(contrast, 0.5)} p90 {Q(contrast, 0.9)}");
        output.WriteLine($"luma std of that background (texture + noise + clutter): p10 {Q(localStd, 0.1)} p50 {Q(localStd, 0.5)} p90 {Q(localStd, 0.9)}");

        var ratio = contrast.Zip(localStd, (c, s) => c / s).ToList();
        output.WriteLine($"contrast / background std: p10 {Q(ratio, 0.1)} p50 {Q(ratio, 0.5)} p90 {Q(ratio, 0.9)}");
        return new Stats(scenesWithOverlap / (double)scenesWithSeveral, visible, occluded, contrast, ratio);
    }

    private static bool Near(bool[] mask, int n, int x, int y, int r)
    {
        for (int yy = Math.Max(0, y - r); yy <= Math.Min(n - 1, y + r); yy++)
        {
            for (int xx = Math.Max(0, x - r); xx <= Math.Min(n - 1, x + r); xx++)
            {
                if (mask[yy * n + xx])
                    return true;
            }
        }
        return false;
    }

    private static double Quantile(List<double> values, double q)
    {
        var sorted = values.Order().ToArray();
        return sorted[(int)Math.Min(sorted.Length - 1, Math.Floor(q * sorted.Length))];
    }
}
