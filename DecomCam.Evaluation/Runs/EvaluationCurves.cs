using static TorchSharp.torch;

namespace DecomCamNet.Evaluation.Runs;

/// <summary>Running sums of the deletion and insertion curves per method, for the mean curves of the chart.</summary>
public sealed class EvaluationCurves
{
    private readonly Dictionary<string, (double[] Deletion, double[] Insertion, int Count)> _sums;

    /// <summary>Empty sums for <paramref name="methods"/>' curves of <paramref name="steps"/> steps.</summary>
    public EvaluationCurves(IReadOnlyList<string> methods, int steps)
    {
        Steps = steps;
        _sums = methods.ToDictionary(m => m, _ => (new double[steps + 1], new double[steps + 1], 0));
    }

    /// <summary>Steps of the curves (each has <c>Steps + 1</c> points).</summary>
    public int Steps { get; }

    /// <summary>Adds a batch's curves [N, Steps + 1] of <paramref name="method"/>.</summary>
    internal void Add(string method, Tensor deletion, Tensor insertion)
    {
        var (del, ins, count) = _sums[method];
        using var scope = NewDisposeScope();
        var d = deletion.sum(new long[] { 0 }).cpu().to_type(ScalarType.Float64).data<double>().ToArray();
        var i = insertion.sum(new long[] { 0 }).cpu().to_type(ScalarType.Float64).data<double>().ToArray();
        for (int k = 0; k <= Steps; k++) { del[k] += d[k]; ins[k] += i[k]; }
        _sums[method] = (del, ins, count + (int)deletion.shape[0]);
    }

    /// <summary>The sums of <paramref name="method"/>'s curves over the images seen, per step, and their count (a shard's share).</summary>
    public EvaluationCurveSums Sums(string method)
    {
        var (deletion, insertion, count) = _sums[method];
        return new EvaluationCurveSums(deletion.ToArray(), insertion.ToArray(), count);
    }

    /// <summary>Adds another shard's <see cref="Sums"/> of <paramref name="method"/>: sums and counts, so the mean stays exact.</summary>
    /// <exception cref="ArgumentException">The curves have another number of steps.</exception>
    public void Add(string method, EvaluationCurveSums sums)
    {
        var (del, ins, seen) = _sums[method];
        if (sums.Deletion.Length != del.Length || sums.Insertion.Length != ins.Length)
            throw new ArgumentException($"Curves of {sums.Deletion.Length - 1} steps cannot be added to curves of {Steps}.");
        for (int k = 0; k <= Steps; k++) { del[k] += sums.Deletion[k]; ins[k] += sums.Insertion[k]; }
        _sums[method] = (del, ins, seen + sums.Count);
    }

    /// <summary>The mean curve of <paramref name="method"/> (deletion or insertion) over the images seen.</summary>
    public double[] Mean(string method, bool deletion)
    {
        var (del, ins, count) = _sums[method];
        return (deletion ? del : ins).Select(v => v / Math.Max(1, count)).ToArray();
    }
}
