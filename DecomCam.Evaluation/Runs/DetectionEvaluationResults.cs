using System.Globalization;
using System.Text;

namespace DecomCamNet.Evaluation.Runs;

/// <summary>
/// What <see cref="DetectionEvaluation.Run"/> found: one row per detection and method, the scenes each method failed on,
/// and per method the mean and 95% interval (as <see cref="MetricSummary"/>) of the pointing game, the energy in the
/// matched object's mask and the energy in the box, overall and per equal-count bin of the detections' confidence.
/// </summary>
public sealed class DetectionEvaluationResults
{
    private readonly float[] _binEdges;

    internal DetectionEvaluationResults(string model, string description, IReadOnlyList<string> methods, int scenes, int detections,
        int scenesWithoutDetections, IReadOnlyList<int> failedScenes, int bins, IReadOnlyList<DetectionEvaluationRow> rows)
    {
        (Model, Description, Methods, Scenes, Detections, ScenesWithoutDetections, FailedScenes, Rows) =
            (model, description, methods.ToArray(), scenes, detections, scenesWithoutDetections, failedScenes.ToArray(), rows.ToArray());
        var confidences = rows.Where(r => r.Method == Methods[0]).Select(r => r.Confidence).Order().ToArray();
        int count = Math.Max(1, Math.Min(bins, confidences.Length));
        _binEdges = Enumerable.Range(1, count - 1).Select(b => confidences[b * confidences.Length / count]).ToArray();
    }

    /// <summary>The detector's name, as the report gives it.</summary>
    public string Model { get; }

    /// <summary>The scenes and detections in words.</summary>
    public string Description { get; }

    /// <summary>The methods, in the report's order.</summary>
    public IReadOnlyList<string> Methods { get; }

    /// <summary>How many scenes were evaluated.</summary>
    public int Scenes { get; }

    /// <summary>How many detections the scenes gave (each explained by every method).</summary>
    public int Detections { get; }

    /// <summary>Scenes with no detection above the threshold (nothing to explain).</summary>
    public int ScenesWithoutDetections { get; }

    /// <summary>Per method (in <see cref="Methods"/>' order), the scenes whose explanation failed (their boxes have no rows).</summary>
    public IReadOnlyList<int> FailedScenes { get; }

    /// <summary>One row per explained detection and method.</summary>
    public IReadOnlyList<DetectionEvaluationRow> Rows { get; }

    /// <summary>The number of confidence bins (at most one per detection).</summary>
    public int Bins => _binEdges.Length + 1;

    /// <summary>The bin of a detection's <paramref name="confidence"/>: 0 = least confident.</summary>
    public int BinOf(float confidence) => _binEdges.Count(e => confidence >= e);

    /// <summary>Mean, 95% interval and count of metric <paramref name="metric"/> (0 pointing game, 1 energy in the
    /// mask, 2 energy in the box; each in [0,1]) for <paramref name="method"/>, optionally of one confidence bin.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="metric"/> is not 0, 1 or 2.</exception>
    public MetricSummary Summary(string method, int metric, int? bin = null)
    {
        Func<DetectionEvaluationRow, double> value = metric switch
        {
            0 => r => r.Pointing,
            1 => r => r.MaskEnergy,
            2 => r => r.BoxEnergy,
            _ => throw new ArgumentOutOfRangeException(nameof(metric), metric, "The metric is 0 (pointing game), 1 (energy in the mask) or 2 (energy in the box)."),
        };
        var values = Rows.Where(r => r.Method == method && (bin is null || BinOf(r.Confidence) == bin)).Select(value).Where(v => !double.IsNaN(v)).ToArray();
        if (values.Length == 0) return new MetricSummary(double.NaN, double.NaN, 0, double.NaN, double.NaN);
        double mean = values.Average();
        double sd = values.Length > 1 ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1)) : 0;
        double half = 1.96 * sd / Math.Sqrt(values.Length);
        return new MetricSummary(mean, half, values.Length, Math.Max(0, mean - half), Math.Min(1, mean + half));
    }

    /// <summary>The report: the per-method table, the pointing game per confidence bin, and what was counted.</summary>
    public string Markdown()
    {
        var md = new StringBuilder();
        md.Append(Inv($"# Detection evaluation: {Model}\n\n{Description}; each detection explained by every method, scored against the scene's true masks.\n\n"));
        md.Append("| method | pointing game | energy in the object's mask | energy in the box | boxes scored | matched boxes | failed scenes | empty maps |\n");
        md.Append("|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for (int m = 0; m < Methods.Count; m++)
        {
            var rows = Rows.Where(r => r.Method == Methods[m]).ToArray();
            md.Append(Inv($"| {Methods[m]} | {Cell(Summary(Methods[m], 0))} | {Cell(Summary(Methods[m], 1))} | {Cell(Summary(Methods[m], 2))} | {rows.Length} | {rows.Count(r => r.MatchedObject >= 0)} | {FailedScenes[m]} | {rows.Count(r => r.Empty)} |\n"));
        }
        md.Append("\nPointing game per bin of the detection's confidence (equal counts; n detections per bin):\n\n");
        var counts = Enumerable.Range(0, Bins).Select(b => Rows.Count(r => r.Method == Methods[0] && BinOf(r.Confidence) == b)).ToArray();
        var ranges = Enumerable.Range(0, Bins).Select(b => Rows.Where(r => r.Method == Methods[0] && BinOf(r.Confidence) == b).Select(r => r.Confidence).DefaultIfEmpty(float.NaN).ToArray()).ToArray();
        md.Append("| method |").Append(string.Concat(Enumerable.Range(0, Bins).Select(b => Inv($" {ranges[b].Min():F3}-{ranges[b].Max():F3} (n={counts[b]}) |")))).Append('\n');
        md.Append("|---|").Append(string.Concat(Enumerable.Repeat("---:|", Bins))).Append('\n');
        foreach (var method in Methods)
            md.Append(Inv($"| {method} |")).Append(string.Concat(Enumerable.Range(0, Bins).Select(b => $" {Cell(Summary(method, 0, b))} |"))).Append('\n');
        md.Append(Inv($"\nMean ± 1.96 standard errors over the boxes; the mask metrics over boxes that match an object (its class, IoU ≥ 0.5), the box energy over all. An all-zero map scores 0; a failed scene (a CamException for every box, such as all-zero gradients) has no rows. Scenes without a detection: {ScenesWithoutDetections}.\n"));
        return md.ToString();
    }

    /// <summary>One line per row, with a header: method, scene, box, class, confidence, matched object and the three metrics.</summary>
    public string Csv()
    {
        var csv = new StringBuilder("method,scene,x1,y1,x2,y2,class,confidence,matched_object,pointing,mask_energy,box_energy,empty\n");
        foreach (var r in Rows)
            csv.Append(Inv($"{r.Method},{r.Scene},{r.Box[0]:R},{r.Box[1]:R},{r.Box[2]:R},{r.Box[3]:R},{r.ClassIndex},{r.Confidence:R},{r.MatchedObject},{r.Pointing:R},{r.MaskEnergy:R},{r.BoxEnergy:R},{(r.Empty ? 1 : 0)}\n"));
        return csv.ToString();
    }

    /// <summary>Writes <c>results.md</c> and <c>rows.csv</c> into <paramref name="folder"/> (created if missing).</summary>
    /// <returns>The Markdown report.</returns>
    public string Write(string folder)
    {
        Directory.CreateDirectory(folder);
        string markdown = Markdown();
        File.WriteAllText(Path.Combine(folder, "results.md"), markdown);
        File.WriteAllText(Path.Combine(folder, "rows.csv"), Csv());
        return markdown;
    }

    private static string Cell(MetricSummary v) =>
        double.IsNaN(v.Mean) ? "-" : v.Clipped ? Inv($"{v.Mean:F3} [{v.Lower:F3}, {v.Upper:F3}]") : Inv($"{v.Mean:F3} ± {v.HalfWidth:F3}");

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
