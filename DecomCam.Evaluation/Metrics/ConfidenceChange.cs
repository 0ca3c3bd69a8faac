using DecomCamNet.Cam;
using static TorchSharp.torch;

namespace DecomCamNet.Evaluation.Metrics;

/// <summary>
/// Average Drop and Increase in Confidence (Chattopadhay et al. 2018, Grad-CAM++): each image is scored twice for its
/// target class, Y = the softmax probability on the input tensor as given and O = the same on input × map (the map
/// broadcast over channels, multiplying the input tensor as given, i.e. after normalisation, as pytorch-grad-cam's
/// <c>CamMultImageConfidenceChange</c> does). See <see cref="ConfidenceChangeResult"/> for the relative form (the
/// papers', UnionCAM's and torch-cam's) and pytorch-grad-cam's absolute form.
/// </summary>
public static class ConfidenceChange
{
    /// <summary>
    /// Scores <paramref name="images"/> [N,C,H,W] and images × <paramref name="maps"/> [N,H,W] (in [0,1]) with
    /// <paramref name="model"/> (logits [N,K]) for <paramref name="classes"/> (default: the predicted class), in batches of
    /// at most <paramref name="batchSize"/> images (default 32 on a GPU, 8 on a CPU), without gradients and in evaluation
    /// mode (the model's training flags are restored). Everything stays on the images' device; maps on another device are
    /// copied there.
    /// </summary>
    /// <exception cref="ArgumentException">A shape, dtype or count does not fit (the message names it).</exception>
    /// <exception cref="ArgumentOutOfRangeException">Maps outside [0,1], a class out of range, a batch size below 1.</exception>
    public static ConfidenceChangeResult Compute(nn.Module<Tensor, Tensor> model, Tensor images, Tensor maps, TargetClasses? classes = null,
        int? batchSize = null, IProgress<CamProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        MetricInputs.Model(model);
        MetricInputs.Images(images);
        long n = images.shape[0];
        MetricInputs.Maps(maps, n, images.shape[2], images.shape[3]);
        classes ??= TargetClasses.Predicted;
        classes.Validate(n, nameof(classes));
        int? batch = MetricInputs.Checked(batchSize);

        using var scope = NewDisposeScope();
        using var scorer = new ModelScorer(model);
        var target = scorer.Classes(classes, images, batch, cancellationToken);
        var weights = maps.to(images.dtype, images.device).unsqueeze(1);
        var original = scorer.Run(n, batch, images,
            (s, c) => scorer.Probabilities(images.narrow(0, s, c), target.narrow(0, s, c)), cancellationToken, progress, "confidence: original");
        var perturbed = scorer.Run(n, batch, images,
            (s, c) => scorer.Probabilities(images.narrow(0, s, c) * weights.narrow(0, s, c), target.narrow(0, s, c)),
            cancellationToken, progress, "confidence: image x map");
        return new ConfidenceChangeResult(original, perturbed, target).MoveOut();
    }
}
