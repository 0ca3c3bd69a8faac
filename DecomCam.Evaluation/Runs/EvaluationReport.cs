using System.Globalization;
using System.Text;
using DecomCamNet.Evaluation.Metrics;
using static TorchSharp.torch;

namespace DecomCamNet.Evaluation.Runs;

/// <summary>
/// An evaluation's aggregates: per method and metric the mean and a 95% interval (mean ± 1.96 standard errors, over the
/// images where the metric applies), and the same means per confidence bin (seed 002's accuracy-binned report).
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

    /// <summary>Mean, half-width of the 95% interval and count of <paramref name="metric"/> for <paramref name="method"/> (optionally one bin).</summary>
    public (double Mean, double HalfWidth, int Count) Summary(string method, int metric, int? bin = null)
    {
        var values = _rows.Where(r => r.Method == method && (bin is null || BinOf[r.Image] == bin))
            .Select(r => (double)EvaluationRow.Metrics[metric].Value(r)).Where(v => !double.IsNaN(v)).ToArray();
        if (values.Length == 0) return (double.NaN, double.NaN, 0);
        double mean = values.Average();
        double sd = values.Length > 1 ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1)) : 0;
        return (mean, 1.96 * sd / Math.Sqrt(values.Length), values.Length);
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
        s.AppendLine();
        s.AppendLine(Inv($"Per confidence bin ({Bins} equal-count bins of the model's top softmax probability): insertion AUC and average drop."));
        s.AppendLine();
        s.AppendLine("| method | " + string.Join(" | ", BinRanges.Select(r => Inv($"[{r.Lower:F2}, {r.Upper:F2}]"))) + " |");
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

    private static string Cell((double Mean, double HalfWidth, int Count) v) =>
        double.IsNaN(v.Mean) ? "-" : Inv($"{v.Mean:F3} ± {v.HalfWidth:F3}");

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
