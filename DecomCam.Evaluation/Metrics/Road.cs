using DecomCamNet.Cam;
using DecomCamNet.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet.Evaluation.Metrics;

/// <summary>
/// ROAD, Remove And Debias (Rong et al. 2022), as pytorch-grad-cam's <c>road.py</c> computes it: for each percentile p
/// the pixels selected by the map (see <see cref="RoadOrder"/>; thresholds by linear interpolation, as NumPy's
/// <c>percentile</c>) are replaced by <see cref="NoisyLinearImputation"/>, and the target's softmax probability on the
/// imputed input is compared with the probability on the input. <c>ROADMostRelevantFirstAverage</c> and
/// <c>ROADLeastRelevantFirstAverage</c> are the mean changes over the percentiles, <c>ROADCombined</c> is
/// (LeRF average − MoRF average)/2: higher is better (removing the least relevant pixels should keep the score, removing
/// the most relevant should lose it).
/// </summary>
public static class Road
{
    /// <summary>
    /// Runs both orders at every percentile of <paramref name="options"/> for <paramref name="images"/> [N,C,H,W] (the input
    /// tensor as given to the model) and <paramref name="maps"/> [N,H,W] in [0,1], scoring <paramref name="classes"/>
    /// (default: the predicted class) without gradients in evaluation mode (training flags restored). Imputations are
    /// solved and scored batch by batch on the images' device.
    /// </summary>
    /// <exception cref="ArgumentException">A shape, dtype or count does not fit (the message names it).</exception>
    /// <exception cref="ArgumentOutOfRangeException">Maps outside [0,1], a percentile outside [0,100], a bad setting, a class out of range.</exception>
    public static RoadResult Evaluate(nn.Module<Tensor, Tensor> model, Tensor images, Tensor maps, TargetClasses? classes = null,
        RoadOptions? options = null, IProgress<CamProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        options ??= new RoadOptions();
        MetricInputs.Model(model);
        MetricInputs.Images(images);
        long n = images.shape[0];
        MetricInputs.Maps(maps, n, images.shape[2], images.shape[3]);
        classes ??= TargetClasses.Predicted;
        classes.Validate(n, nameof(classes));
        var percentiles = CheckOptions(options);
        int? batch = MetricInputs.Checked(options.BatchSize, nameof(options));
        long j = percentiles.Length;

        using var scope = NewDisposeScope();
        using var scorer = new ModelScorer(model);
        var device = images.device;
        var target = scorer.Classes(classes, images, batch, cancellationToken);
        var original = scorer.Run(n, batch, images,
            (s, c) => scorer.Probabilities(images.narrow(0, s, c), target.narrow(0, s, c)), cancellationToken, progress, "road: original");
        var onDevice = maps.to(images.dtype, device);
        // Items are (order, percentile, image), image fastest: keep masks [2·J·N, H, W] are built per batch from thresholds.
        var thresholds = stack(new[] { Thresholds(onDevice, RoadOrder.MostRelevantFirst, percentiles), Thresholds(onDevice, RoadOrder.LeastRelevantFirst, percentiles) }, 0).flatten();
        using var generator = new Generator(0, device);
        long total = 2 * j * n;
        using var imageCount = n.ToScalar();
        using var firstHalf = (j * n).ToScalar();
        var scores = scorer.Run(total, batch, images, (start, count) =>
        {
            var item = OwnedScalarOps.Arange(start, start + count, device: device);
            var image = item.remainder(imageCount);
            var removeFirst = item.lt(firstHalf).view(count, 1, 1);
            var ranked = where(removeFirst, onDevice.index_select(0, image), OwnedScalarOps.OneMinus(onDevice.index_select(0, image)));
            var keep = ranked.lt(thresholds.index_select(0, item).view(count, 1, 1));
            var x = images.index_select(0, image);
            var known = keep.to(images.dtype);
            var filled = NoisyLinearImputation.Solve(x, known, options.MaxIterations, options.Tolerance);
            if (options.Noise > 0)
            {
                var noise = Noise(generator, options.Seed, start, count, j, n, percentiles, x.shape, x.dtype);
                using var scale = options.Noise.ToScalar();
                filled = filled.add(OwnedScalarOps.OneMinus(known).unsqueeze(1).mul(noise).mul(scale), CachedScalars.One);
            }
            return scorer.Probabilities(filled, target.index_select(0, image));
        }, cancellationToken, progress, "road");
        var perOrder = scores.view(2, j, n).permute(0, 2, 1);
        return new RoadResult(percentiles, original, perOrder[0].contiguous(), perOrder[1].contiguous(), target).MoveOut();
    }

    /// <summary>
    /// The imputed images of one order and percentile [N,C,H,W] (for inspection): the same images
    /// <see cref="Evaluate"/> scores, noise included.
    /// </summary>
    /// <exception cref="ArgumentException">A shape does not fit.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Maps outside [0,1], a percentile outside [0,100], a bad setting.</exception>
    public static Tensor Impute(Tensor images, Tensor maps, RoadOrder order, double percentile, RoadOptions? options = null)
    {
        options ??= new RoadOptions();
        MetricInputs.Images(images);
        long n = images.shape[0];
        MetricInputs.Maps(maps, n, images.shape[2], images.shape[3]);
        CheckOptions(options with { Percentiles = new[] { percentile } });
        using var scope = NewDisposeScope();
        var onDevice = maps.to(images.dtype, images.device);
        var ranked = order == RoadOrder.MostRelevantFirst ? onDevice : OwnedScalarOps.OneMinus(onDevice);
        var known = ranked.lt(Thresholds(onDevice, order, new[] { percentile })[0].view(n, 1, 1)).to(images.dtype);
        var filled = NoisyLinearImputation.Solve(images, known, options.MaxIterations, options.Tolerance);
        if (options.Noise > 0)
        {
            using var generator = new Generator(0, images.device);
            var noise = stack(Enumerable.Range(0, (int)n).Select(i =>
            {
                generator.manual_seed(ItemSeed(options.Seed, order, percentile, i));
                return randn(images.shape.Skip(1).ToArray(), dtype: images.dtype, device: images.device, generator: generator);
            }).ToArray(), 0);
            using var scale = options.Noise.ToScalar();
            filled = filled.add(OwnedScalarOps.OneMinus(known).unsqueeze(1).mul(noise).mul(scale), CachedScalars.One);
        }
        return filled.MoveToOuterDisposeScope();
    }

    /// <summary>The thresholds [J,N] of one order: the percentiles of the map (MoRF) or of 1 − map (LeRF), per image.</summary>
    private static Tensor Thresholds(Tensor maps, RoadOrder order, double[] percentiles)
    {
        var ranked = (order == RoadOrder.MostRelevantFirst ? maps : OwnedScalarOps.OneMinus(maps)).flatten(1);
        var q = tensor(percentiles.Select(p => p / 100).ToArray(), dtype: ranked.dtype, device: ranked.device);
        return ranked.quantile(q, dim: 1);
    }

    /// <summary>Standard normal noise [count,C,H,W] for the items start..start+count, each from its own seed.</summary>
    private static Tensor Noise(Generator generator, long seed, long start, long count, long j, long n, double[] percentiles, long[] shape, ScalarType dtype)
    {
        var device = generator.device;
        var parts = new Tensor[count];
        for (long k = 0; k < count; k++)
        {
            long item = start + k;
            var order = item < j * n ? RoadOrder.MostRelevantFirst : RoadOrder.LeastRelevantFirst;
            double percentile = percentiles[item / n % j];
            generator.manual_seed(ItemSeed(seed, order, percentile, item % n));
            parts[k] = randn(shape.Skip(1).ToArray(), dtype: dtype, device: device, generator: generator);
        }
        return stack(parts, 0);
    }

    /// <summary>A fixed mix (SplitMix64 finaliser) of the seed, order, percentile and image index.</summary>
    internal static long ItemSeed(long seed, RoadOrder order, double percentile, long image)
    {
        ulong z = (ulong)seed;
        foreach (var part in new[] { (ulong)order + 1, (ulong)BitConverter.DoubleToInt64Bits(percentile), (ulong)image })
        {
            z += 0x9E3779B97F4A7C15UL ^ part;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
        }
        return (long)(z >> 1);
    }

    private static double[] CheckOptions(RoadOptions options)
    {
        if (options.Percentiles is null || options.Percentiles.Count == 0)
            throw new ArgumentException("Give at least one percentile.", nameof(options));
        var percentiles = options.Percentiles.ToArray();
        var bad = percentiles.Where(p => !(p >= 0 && p <= 100)).ToArray();
        if (bad.Length > 0) throw new ArgumentOutOfRangeException(nameof(options), bad[0], "ROAD percentiles must lie in [0,100].");
        NoisyLinearImputation.CheckSettings(options.Noise, options.MaxIterations, options.Tolerance);
        return percentiles;
    }
}
