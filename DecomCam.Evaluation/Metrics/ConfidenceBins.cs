using DecomCamNet.Cam;
using DecomCamNet.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet.Evaluation.Metrics;

/// <summary>
/// The accuracy-binned protocol of Decom-CAM (Yang et al. 2023, arXiv 2306.04644; seed 002): split the images by how sure
/// the model is of its prediction and report every metric per subset, so that a method is not judged only on the easy
/// images. Here the split is by confidence, the softmax maximum on the unmodified image, into equal-count bins (default
/// 5; bin 0 the least confident); images of equal confidence go by index order.
/// </summary>
public static class ConfidenceBins
{
    /// <summary>The default number of bins.</summary>
    public const int DefaultBins = 5;

    /// <summary>
    /// Scores <paramref name="images"/> [N,C,H,W] with <paramref name="model"/> (no gradients, evaluation mode, flags restored,
    /// batches of at most <paramref name="batchSize"/>) and bins them by confidence.
    /// </summary>
    /// <exception cref="ArgumentException">A shape does not fit, or the model does not return logits [N,K].</exception>
    /// <exception cref="ArgumentOutOfRangeException">Fewer than one bin, or a batch size below 1.</exception>
    public static ConfidenceBinning Compute(nn.Module<Tensor, Tensor> model, Tensor images, int bins = DefaultBins, int? batchSize = null,
        IProgress<CamProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        MetricInputs.Model(model);
        MetricInputs.Images(images);
        CheckBins(bins);
        int? batch = MetricInputs.Checked(batchSize);
        using var scope = NewDisposeScope();
        using var scorer = new ModelScorer(model);
        var both = scorer.Run(images.shape[0], batch, images, (s, c) =>
        {
            var probabilities = scorer.Logits(images.narrow(0, s, c)).softmax(1);
            var (values, indices) = probabilities.max(1);
            return stack(new[] { values.to(ScalarType.Float64), indices.to(ScalarType.Float64) }, 1);
        }, cancellationToken, progress, "confidence");
        var binning = FromConfidences(both.select(1, 0), bins, both.select(1, 1).to(ScalarType.Int64));
        return binning.MoveOut();
    }

    /// <summary>
    /// Bins given confidences [N] (any floating dtype and device) into <paramref name="bins"/> equal-count bins: the image of
    /// rank r in increasing confidence goes to bin ⌊r·bins/N⌋. With fewer images than bins some bins stay empty.
    /// </summary>
    /// <exception cref="ArgumentException">Confidences are not a finite floating-point vector.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Fewer than one bin.</exception>
    public static ConfidenceBinning FromConfidences(Tensor confidences, int bins = DefaultBins) => FromConfidences(confidences, bins, null);

    private static ConfidenceBinning FromConfidences(Tensor confidences, int bins, Tensor? predicted)
    {
        ArgumentNullException.ThrowIfNull(confidences);
        if (confidences.dim() != 1 || confidences.shape[0] == 0 || !confidences.is_floating_point())
            throw new ArgumentException($"Confidences must be a non-empty floating-point vector [N]; got {confidences.dtype} {MetricInputs.Shape(confidences)}.", nameof(confidences));
        CheckBins(bins);
        using var scope = NewDisposeScope();
        if (!isfinite(confidences).all().item<bool>()) throw new ArgumentException("The confidences contain NaN or infinity.", nameof(confidences));
        long n = confidences.shape[0];
        var order = confidences.sort(0, descending: false, stable: true).Indices;
        var rank = empty_like(order).scatter_(0, order, OwnedScalarOps.Arange(n, device: confidences.device));
        using var binCount = bins.ToScalar();
        using var count = n.ToScalar();
        var bin = rank.mul(binCount).div(count, rounding_mode: RoundingMode.floor);
        var result = new ConfidenceBinning(bins, confidences.to(ScalarType.Float64), bin, predicted);
        return result.MoveOut();
    }

    private static void CheckBins(int bins)
    {
        if (bins < 1) throw new ArgumentOutOfRangeException(nameof(bins), bins, "At least one bin is needed.");
    }
}
