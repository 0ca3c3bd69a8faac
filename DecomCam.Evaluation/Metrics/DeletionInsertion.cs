using DecomCamNet.Cam;
using DecomCamNet.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet.Evaluation.Metrics;

/// <summary>
/// Deletion and insertion curves (Petsiuk et al. 2018, RISE). Pixels are ranked by decreasing map value, ties broken by
/// pixel index (row-major, lower first). At step k of S the first ⌊k·P/S⌋ of the P pixels are taken from the canvas
/// (deletion: the image loses its most salient pixels to the canvas) or from the image (insertion: the canvas gains
/// them); all channels of a pixel move together. The curve is the target's softmax probability at the S + 1 steps, its
/// area the trapezoid rule over the fraction of pixels in [0,1]. Step images are built batch by batch on the images'
/// device, never all at once.
/// </summary>
public static class DeletionInsertion
{
    /// <summary>Deletion: from the image towards the canvas (default zero). A faithful map drops fast: lower AUC is better.</summary>
    /// <inheritdoc cref="Run" path="/param"/>
    /// <inheritdoc cref="Run" path="/exception"/>
    public static PerturbationCurveResult Deletion(nn.Module<Tensor, Tensor> model, Tensor images, Tensor maps, TargetClasses? classes = null,
        PerturbationCurveOptions? options = null, IProgress<CamProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Run(model, images, maps, classes, options, deletion: true, progress, cancellationToken);

    /// <summary>
    /// Insertion: from the canvas (default blurred) towards the image. A faithful map rises fast: higher AUC is better.
    /// The last point is the probability on the image itself.
    /// </summary>
    /// <inheritdoc cref="Run" path="/param"/>
    /// <inheritdoc cref="Run" path="/exception"/>
    public static PerturbationCurveResult Insertion(nn.Module<Tensor, Tensor> model, Tensor images, Tensor maps, TargetClasses? classes = null,
        PerturbationCurveOptions? options = null, IProgress<CamProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Run(model, images, maps, classes, options, deletion: false, progress, cancellationToken);

    /// <summary>Both curves.</summary>
    /// <param name="model">A classifier returning logits [N,K]; run in evaluation mode without gradients, flags restored.</param>
    /// <param name="images">The input tensor [N,C,H,W] as given to the model, on any device.</param>
    /// <param name="maps">Saliency maps [N,H,W] in [0,1] (copied to the images' device if elsewhere).</param>
    /// <param name="classes">The class scored per image (default: the predicted class on the image).</param>
    /// <param name="options">Steps, canvas, blur and batch size.</param>
    /// <param name="deletion">True for deletion, false for insertion.</param>
    /// <param name="progress">Reports step images scored (stage "deletion" or "insertion").</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <exception cref="ArgumentException">A shape, dtype or count does not fit (the message names it).</exception>
    /// <exception cref="ArgumentOutOfRangeException">Maps outside [0,1], steps or batch size below 1, a class out of range.</exception>
    private static PerturbationCurveResult Run(nn.Module<Tensor, Tensor> model, Tensor images, Tensor maps, TargetClasses? classes,
        PerturbationCurveOptions? options, bool deletion, IProgress<CamProgress>? progress, CancellationToken cancellationToken)
    {
        options ??= new PerturbationCurveOptions();
        MetricInputs.Model(model);
        MetricInputs.Images(images);
        long n = images.shape[0], h = images.shape[2], w = images.shape[3], pixels = h * w;
        MetricInputs.Maps(maps, n, h, w);
        classes ??= TargetClasses.Predicted;
        classes.Validate(n, nameof(classes));
        if (options.Steps < 1) throw new ArgumentOutOfRangeException(nameof(options), options.Steps, "Steps must be at least 1.");
        if (!(options.BlurSigma > 0) || !(options.BlurTruncate > 0))
            throw new ArgumentOutOfRangeException(nameof(options), $"BlurSigma ({options.BlurSigma}) and BlurTruncate ({options.BlurTruncate}) must be positive.");
        int? batch = MetricInputs.Checked(options.BatchSize, nameof(options));
        var canvasKind = options.Canvas ?? (deletion ? PerturbationCanvas.Zero : PerturbationCanvas.Blur);
        int steps = options.Steps;
        string stage = deletion ? "deletion" : "insertion";

        using var scope = NewDisposeScope();
        using var scorer = new ModelScorer(model);
        var target = scorer.Classes(classes, images, batch, cancellationToken);
        var device = images.device;
        var counts = tensor(Enumerable.Range(0, steps + 1).Select(k => k * pixels / steps).ToArray(), device: device);
        var rank = PixelRank(maps.to(device));
        var canvas = canvasKind == PerturbationCanvas.Zero ? zeros_like(images) : GaussianBlur.Apply(images, options.BlurSigma, options.BlurTruncate);
        // Deletion shows the canvas at the ranked-first pixels and the image elsewhere; insertion the other way round.
        var (first, rest) = deletion ? (canvas, images) : (images, canvas);

        long points = steps + 1;
        using var pointCount = points.ToScalar();
        var scores = scorer.Run(n * points, batch, images, (start, count) =>
        {
            var pair = OwnedScalarOps.Arange(start, start + count, device: device);
            var image = pair.div(pointCount, rounding_mode: RoundingMode.floor);
            var taken = rank.index_select(0, image).lt(counts.index_select(0, pair.remainder(pointCount)).unsqueeze(1)).view(count, 1, h, w);
            var inputs = where(taken, first.index_select(0, image), rest.index_select(0, image));
            return scorer.Probabilities(inputs, target.index_select(0, image));
        }, cancellationToken, progress, stage);

        using var pixelCount = pixels.ToScalar();
        var fractions = counts.to(ScalarType.Float64).div(pixelCount);
        return new PerturbationCurveResult(fractions, scores.view(n, points), target).MoveOut();
    }

    /// <summary>
    /// Each pixel's position in the order of decreasing map value, ties by pixel index: maps [N,H,W] → long [N,H·W],
    /// 0 = the most salient pixel.
    /// </summary>
    internal static Tensor PixelRank(Tensor maps)
    {
        var flat = maps.flatten(1);
        // A stable ascending sort of the negated values keeps equal values in index order.
        var order = (-flat).sort(1, descending: false, stable: true).Indices;
        var positions = OwnedScalarOps.Arange(flat.shape[1], device: flat.device).unsqueeze(0).expand(flat.shape[0], -1);
        return empty_like(order).scatter_(1, order, positions);
    }
}
