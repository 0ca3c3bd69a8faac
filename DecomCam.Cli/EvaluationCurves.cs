using static TorchSharp.torch;

namespace DecomCamNet.Cli;

/// <summary>Running sums of the deletion and insertion curves per method, for the mean curves of the chart.</summary>
internal sealed class EvaluationCurves(IReadOnlyList<string> methods, int steps)
{
    private readonly Dictionary<string, (double[] Deletion, double[] Insertion, int Count)> _sums =
        methods.ToDictionary(m => m, _ => (new double[steps + 1], new double[steps + 1], 0));

    public int Steps => steps;

    public void Add(string method, Tensor deletion, Tensor insertion)
    {
        var (del, ins, count) = _sums[method];
        using var scope = NewDisposeScope();
        var d = deletion.sum(new long[] { 0 }).cpu().to_type(ScalarType.Float64).data<double>().ToArray();
        var i = insertion.sum(new long[] { 0 }).cpu().to_type(ScalarType.Float64).data<double>().ToArray();
        for (int k = 0; k <= steps; k++) { del[k] += d[k]; ins[k] += i[k]; }
        _sums[method] = (del, ins, count + (int)deletion.shape[0]);
    }

    /// <summary>The sums of <paramref name="method"/>'s curves over the images seen, per step, and their count (a shard's share).</summary>
    public (double[] Deletion, double[] Insertion, int Count) Sums(string method) => _sums[method];

    /// <summary>Adds another shard's <see cref="Sums"/> of <paramref name="method"/>: sums and counts, so the mean stays exact.</summary>
    public void Add(string method, IReadOnlyList<double> deletion, IReadOnlyList<double> insertion, int count)
    {
        var (del, ins, seen) = _sums[method];
        if (deletion.Count != del.Length || insertion.Count != ins.Length)
            throw new ArgumentException($"Curves of {deletion.Count - 1} steps cannot be added to curves of {steps}.");
        for (int k = 0; k <= steps; k++) { del[k] += deletion[k]; ins[k] += insertion[k]; }
        _sums[method] = (del, ins, seen + count);
    }

    /// <summary>The mean curve of <paramref name="method"/> (deletion or insertion) over the images seen.</summary>
    public double[] Mean(string method, bool deletion)
    {
        var (del, ins, count) = _sums[method];
        return (deletion ? del : ins).Select(v => v / Math.Max(1, count)).ToArray();
    }
}
