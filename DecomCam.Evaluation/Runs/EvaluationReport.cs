using System.Globalization;
using System.Text;
using DecomCamNet.Evaluation.Metrics;
using static TorchSharp.torch;

namespace DecomCamNet.Evaluation.Runs;

/// <summary>
/// An evaluation's aggregates: per method and metric the mean and a 95% interval (mean ± 1.96 standard errors, over the
/// images where the metric applies, clipped to the metric's range), the same means per confidence bin (seed 002's
/// accuracy-binned report), and notes on what a small sample means for them (<see cref="Notes"/>).
/// </summary>
public sealed class EvaluationReport
{
    private readonly IReadOnlyList<EvaluationRow> _rows;

    /// <summary>The report of <paramref name="rows"/> (every method's rows of the same images) in <paramref name="bins"/> equal-count confidence bins.</summary>
    public EvaluationReport(IReadOnlyList<EvaluationRow> rows, IReadOnlyList<string> methods, int bins)
    {
        _rows = rows;
        Methods = methods;
        var firstMethod = rows.Where(r => r.Method == methods[0]).OrderBy(r => r.Image).ToArray();
        using var scope = NewDisposeScope();
        using var binning = ConfidenceBins.FromConfidences(tensor(firstMethod.Select(r => r.Confidence).ToArray()), Math.Min(bins, firstMethod.Length));
        var bin = binning.Bin.cpu().data<long>().ToArray();
        BinOf = firstMethod.Select((r, i) => (r.Image, Bin: (int)bin[i])).ToDictionary(p => p.Image, p => p.Bin);
        Bins = binning.Bins;
        BinRanges = Enumerable.Range(0, Bins).Select(b => ((float)binning.Lower[b].item<double>(), (float)binning.Upper[b].item<double>())).ToArray();
    }

    /// <summary>The methods, in the report's order.</summary>
    public IReadOnlyList<string> Methods { get; }

    /// <summary>The number of confidence bins (at most one per image).</summary>
    public int Bins { get; }

    /// <summary>Each bin's range of confidences.</summary>
    public IReadOnlyList<(float Lower, float Upper)> BinRanges { get; }

    private Dictionary<int, int> BinOf { get; }

    /// <summary>Below this many images a method's intervals are rough, and the report says so.</summary>
    public const int SmallSample = 30;

    /// <summary>Below this many images a confidence bin's means move with one image, and the report marks the bin.</summary>
    public const int SmallBin = 5;

    /// <summary>The images in each confidence bin.</summary>
    public IReadOnlyList<int> BinCounts => Enumerable.Range(0, Bins).Select(b => BinOf.Values.Count(v => v == b)).ToArray();

    /// <summary>Mean, 95% interval and count of <paramref name="metric"/> for <paramref name="method"/> (optionally one bin).</summary>
    public MetricSummary Summary(string method, int metric, int? bin = null)
    {
        var column = EvaluationRow.Metrics[metric];
        var values = _rows.Where(r => r.Method == method && (bin is null || BinOf[r.Image] == bin))
            .Select(r => (double)column.Value(r)).Where(v => !double.IsNaN(v)).ToArray();
        if (values.Length == 0) return new MetricSummary(double.NaN, double.NaN, 0, double.NaN, double.NaN);
        double mean = values.Average();
        double sd = values.Length > 1 ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1)) : 0;
        double half = 1.96 * sd / Math.Sqrt(values.Length);
        return new MetricSummary(mean, half, values.Length, Math.Max(column.Min, mean - half), Math.Min(column.Max, mean + half));
    }

    /// <summary>
    /// What a reader of the tables should know about this sample: too few images for the intervals, intervals cut by a
    /// metric's range, bins of very few images, and why a column is empty. Empty when nothing needs saying.
    /// </summary>
    public IReadOnlyList<string> Notes()
    {
        var notes = new List<string>();
        int images = BinOf.Count;
        if (images < SmallSample)
            notes.Add(Inv($"Only {images} images: intervals from fewer than {SmallSample} are rough (a normal approximation), and ± 0.000 only says that these images agreed; evaluate more images before ranking methods."));
        if (Methods.Any(m => EvaluationRow.Metrics.Select((_, k) => Summary(m, k)).Any(v => v.Count > 0 && v.Clipped)))
            notes.Add("Intervals that would cross a metric's range are shown clipped to it, as [lower, upper].");
        var small = BinCounts.Select((n, b) => (n, b)).Where(p => p.n < SmallBin).ToArray();
        if (small.Length > 0)
            notes.Add(Inv($"{small.Length} of {Bins} confidence bins hold fewer than {SmallBin} images (n in the header): their means move with one image."));
        for (int k = 0; k < EvaluationRow.Metrics.Count; k++)
            if (Methods.All(m => Summary(m, k).Count == 0))
                notes.Add($"{EvaluationRow.Metrics[k].Name} is empty: {EvaluationRow.Metrics[k].WhenEmpty}.");
        return notes;
    }

    /// <summary>The table of <c>results.md</c>: per method the means and intervals, then the per-bin means.</summary>
    public string Markdown(string images, string model)
    {
        var s = new StringBuilder();
        s.AppendLine(Inv($"Faithfulness on {images}, model {model}; target: each image's predicted class. Mean ± 95% interval."));
        s.AppendLine("Lower is better for average_drop and deletion_auc; higher for the others. Pointing games count images whose scene has an object of the predicted class.");
        s.AppendLine();
        s.AppendLine("| method | " + string.Join(" | ", EvaluationRow.Metrics.Select(m => m.Name)) + " |");
        s.AppendLine("|---|" + string.Concat(EvaluationRow.Metrics.Select(_ => "---:|")));
        foreach (var method in Methods)
            s.AppendLine($"| {method} | " + string.Join(" | ", EvaluationRow.Metrics.Select((_, k) => Cell(Summary(method, k)))) + " |");
        foreach (var note in Notes()) s.AppendLine().Append("Note: ").AppendLine(note);
        s.AppendLine();
        s.AppendLine(Inv($"Per confidence bin ({Bins} equal-count bins of the model's top softmax probability): insertion AUC and average drop."));
        s.AppendLine();
        var counts = BinCounts;
        s.AppendLine("| method | " + string.Join(" | ", BinRanges.Select((r, b) => Inv($"[{r.Lower:F2}, {r.Upper:F2}] n={counts[b]}"))) + " |");
        s.AppendLine("|---|" + string.Concat(BinRanges.Select(_ => "---:|")));
        foreach (var method in Methods)
            s.AppendLine($"| {method} | " + string.Join(" | ", Enumerable.Range(0, Bins).Select(b =>
                Inv($"{Summary(method, 2, b).Mean:F3} / {Summary(method, 0, b).Mean:F1}"))) + " |");
        return s.ToString();
    }

    /// <summary>Writes <c>rows.csv</c>: one line per row, with its confidence bin.</summary>
    public void WriteCsv(string path)
    {
        using var writer = new StreamWriter(path);
        writer.WriteLine("image,name,method,class,confidence,bin,average_drop,increase_in_confidence,absolute_drop,insertion_auc,deletion_auc,pointing_game,energy_pointing_game,road_combined");
        foreach (var r in _rows)
            writer.WriteLine(Inv($"{r.Image},{r.Name},{r.Method},{r.Class},{r.Confidence:R},{BinOf[r.Image]},{r.AverageDrop:R},{r.IncreaseInConfidence:R},{r.AbsoluteDrop:R},{r.InsertionAuc:R},{r.DeletionAuc:R},{r.Pointing:R},{r.EnergyPointing:R},{r.RoadCombined:R}"));
    }

    private static string Cell(MetricSummary v) =>
        double.IsNaN(v.Mean) ? "-" : v.Clipped ? Inv($"{v.Mean:F3} [{v.Lower:F3}, {v.Upper:F3}]") : Inv($"{v.Mean:F3} ± {v.HalfWidth:F3}");

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
