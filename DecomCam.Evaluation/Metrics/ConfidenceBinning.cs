using DecomCamNet.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet.Evaluation.Metrics;

/// <summary>
/// Images grouped by confidence (<see cref="ConfidenceBins"/>): the bin of each image and each bin's range, plus
/// <see cref="Means"/> to average any per-image metric per bin. Tensors on the confidences' device; dispose it.
/// </summary>
public sealed class ConfidenceBinning : IDisposable
{
    private static readonly Scalar PositiveInfinity = double.PositiveInfinity.ToScalar();
    private static readonly Scalar NegativeInfinity = double.NegativeInfinity.ToScalar();
    private static readonly Scalar NaN = double.NaN.ToScalar();

    internal ConfidenceBinning(int bins, Tensor confidence, Tensor bin, Tensor? predicted)
    {
        Bins = bins;
        Confidence = confidence;
        Bin = bin;
        Predicted = predicted;
        using var scope = NewDisposeScope();
        var counts = zeros(bins, dtype: ScalarType.Int64, device: bin.device).index_add_(0, bin, ones_like(bin), CachedScalars.One);
        Counts = counts.data<long>().ToArray();
        var members = bin.unsqueeze(0).eq(OwnedScalarOps.Arange(bins, device: bin.device).unsqueeze(1)); // [Bins,N]
        var values = confidence.unsqueeze(0);
        var lower = where(members, values, full_like(values, PositiveInfinity)).amin(new long[] { 1 });
        var upper = where(members, values, full_like(values, NegativeInfinity)).amax(new long[] { 1 });
        var empty = members.any(1).logical_not();
        Lower = where(empty, full_like(lower, NaN), lower).MoveToOuterDisposeScope();
        Upper = where(empty, full_like(upper, NaN), upper).MoveToOuterDisposeScope();
    }

    /// <summary>The number of bins.</summary>
    public int Bins { get; }

    /// <summary>Each image's confidence [N] (float64): the softmax maximum, or the values given.</summary>
    public Tensor Confidence { get; }

    /// <summary>Each image's bin [N] (long), 0 = least confident.</summary>
    public Tensor Bin { get; }

    /// <summary>Each image's predicted class [N] (long) when the binning scored a model; null for given confidences.</summary>
    public Tensor? Predicted { get; }

    /// <summary>The number of images in each bin.</summary>
    public IReadOnlyList<long> Counts { get; }

    /// <summary>The lowest confidence in each bin [Bins] (float64; NaN for an empty bin).</summary>
    public Tensor Lower { get; }

    /// <summary>The highest confidence in each bin [Bins] (float64; NaN for an empty bin).</summary>
    public Tensor Upper { get; }

    /// <summary>
    /// The mean of a per-image metric [N] (any numeric dtype and device) in each bin [Bins] (float64, on the bins' device),
    /// leaving out NaN values (images a metric could not score); NaN for a bin with no value.
    /// </summary>
    /// <exception cref="ArgumentException">The metric is not a vector of the images' count.</exception>
    public Tensor Means(Tensor perImage)
    {
        ArgumentNullException.ThrowIfNull(perImage);
        if (perImage.dim() != 1 || perImage.shape[0] != Bin.shape[0])
            throw new ArgumentException($"A per-image metric must be [{Bin.shape[0]}]; got {MetricInputs.Shape(perImage)}.", nameof(perImage));
        using var scope = NewDisposeScope();
        var values = perImage.to(ScalarType.Float64, Bin.device);
        var valid = values.isnan().logical_not();
        var sums = zeros(Bins, dtype: ScalarType.Float64, device: Bin.device).index_add_(0, Bin, where(valid, values, zeros_like(values)), CachedScalars.One);
        var counts = zeros(Bins, dtype: ScalarType.Float64, device: Bin.device).index_add_(0, Bin, valid.to(ScalarType.Float64), CachedScalars.One);
        return where(counts.gt(CachedScalars.Zero), sums / counts, full_like(sums, NaN)).MoveToOuterDisposeScope();
    }

    internal ConfidenceBinning MoveOut()
    {
        foreach (var t in Tensors) t.MoveToOuterDisposeScope();
        return this;
    }

    private IEnumerable<Tensor> Tensors => new[] { Confidence, Bin, Lower, Upper }.Concat(Predicted is null ? Array.Empty<Tensor>() : new[] { Predicted });

    /// <summary>Disposes the tensors.</summary>
    public void Dispose()
    {
        foreach (var t in Tensors) t.Dispose();
    }
}
