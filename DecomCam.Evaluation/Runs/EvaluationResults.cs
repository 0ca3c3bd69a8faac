using DecomCamNet.Batches;

namespace DecomCamNet.Evaluation.Runs;

/// <summary>
/// What an evaluation found (<see cref="EvaluationRunner.Run"/>, or the merged shards of <see cref="EvaluationMerge"/>): the
/// settings, one row per image and method, and the summed deletion and insertion curves. <see cref="Write"/> writes
/// <c>results.md</c> (means, 95% intervals and confidence bins computed over all rows), <c>rows.csv</c> and the charts;
/// a shard's results are written with <see cref="WriteShard"/> instead, to be merged.
/// </summary>
public sealed class EvaluationResults
{
    internal EvaluationResults(ShardSpec shard, int total, string description, string model, IReadOnlyList<string> methods,
        int steps, int bins, bool road, IEnumerable<EvaluationRow> rows, EvaluationCurves curves)
    {
        (Shard, Total, Description, Model, Methods, Steps, Bins, Road, Curves) = (shard, total, description, model, methods.ToArray(), steps, bins, road, curves);
        Rows = Ordered(rows, Methods);
    }

    /// <summary>The shard these results cover (<see cref="ShardSpec.All"/> for a whole run or merged shards).</summary>
    public ShardSpec Shard { get; }

    /// <summary>How many images the whole set holds (the shard's share is <see cref="Images"/>).</summary>
    public int Total { get; }

    /// <summary>How many images these results cover.</summary>
    public int Images => Rows.Select(r => r.Image).Distinct().Count();

    /// <summary>The image set in words.</summary>
    public string Description { get; }

    /// <summary>The model's name, as the report gives it.</summary>
    public string Model { get; }

    /// <summary>The methods, in the order the report lists them.</summary>
    public IReadOnlyList<string> Methods { get; }

    /// <summary>Insertion/deletion steps.</summary>
    public int Steps { get; }

    /// <summary>Confidence bins of the per-bin report.</summary>
    public int Bins { get; }

    /// <summary>Whether ROAD was computed.</summary>
    public bool Road { get; }

    /// <summary>One row per image and method, by method (as given), then by image.</summary>
    public IReadOnlyList<EvaluationRow> Rows { get; }

    /// <summary>The sums of the deletion and insertion curves per method.</summary>
    public EvaluationCurves Curves { get; }

    /// <summary>Means, intervals and confidence bins over <see cref="Rows"/>.</summary>
    public EvaluationReport Report() => new(Rows, Methods, Bins);

    /// <summary>
    /// Writes <c>results.md</c>, <c>rows.csv</c> and the charts (<c>*.png</c>) into <paramref name="folder"/> (created if
    /// needed); returns the table of <c>results.md</c>.
    /// </summary>
    public string Write(string folder)
    {
        Directory.CreateDirectory(folder);
        var report = Report();
        string table = report.Markdown(Description, Model);
        File.WriteAllText(Path.Combine(folder, "results.md"), table);
        report.WriteCsv(Path.Combine(folder, "rows.csv"));
        EvaluationCharts.Write(report, Curves, folder);
        return table;
    }

    /// <summary>These results as a shard of the evaluation, for <see cref="EvaluationMerge"/>.</summary>
    public EvaluationShard ToShard() => new(Shard.ToString(), Shard.By, Total, Description, Model, Methods.ToArray(), Steps, Bins, Road, Rows,
        Methods.ToDictionary(m => m, m => Curves.Sums(m)));

    /// <summary>Writes <see cref="ToShard"/> into <paramref name="folder"/> (created if needed) as <c>evaluation.shard-i-of-n.json</c>; returns its path.</summary>
    public string WriteShard(string folder)
    {
        Directory.CreateDirectory(folder);
        return ToShard().Write(folder, Shard);
    }

    private static IReadOnlyList<EvaluationRow> Ordered(IEnumerable<EvaluationRow> rows, IReadOnlyList<string> methods) =>
        rows.OrderBy(r => IndexOf(methods, r.Method)).ThenBy(r => r.Image).ToList();

    private static int IndexOf(IReadOnlyList<string> methods, string method)
    {
        for (int i = 0; i < methods.Count; i++) if (methods[i] == method) return i;
        return methods.Count;
    }
}
