using DecomCamNet.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet.Cam;

/// <summary>
/// Test-time augmentation smoothing, as pytorch-grad-cam's <c>aug_smooth</c> does it with ttach: the input is explained
/// under six augmentations, {no flip, horizontal flip} × {input × 0.9, × 1, × 1.1}; each map is flipped back where its
/// input was flipped, and the maps are averaged (not normalised again, as in the reference: the mean stays in [0,1]).
/// The un-augmented pass runs first and provides everything else in the result (raw maps, scores, classes,
/// intermediates). Its classes are kept for the other passes when the target is each image's top class (pytorch-grad-cam
/// picks the top class of every augmented input anew), so that all six maps explain the same class.
/// </summary>
public static class AugmentationSmoothing
{
    /// <summary>The augmentations: horizontal flip and input factor, in ttach's order; (false, 1) is the identity.</summary>
    public static IReadOnlyList<(bool Flip, float Factor)> Augmentations { get; } = new[]
    {
        (false, 0.9f), (false, 1f), (false, 1.1f), (true, 0.9f), (true, 1f), (true, 1.1f),
    };

    /// <summary>
    /// Runs <paramref name="explain"/> on every augmentation of <paramref name="input"/> [N,C,H,W] and returns the
    /// un-augmented result with its maps replaced by the mean of the de-augmented maps.
    /// </summary>
    public static CamResult Explain(Func<Tensor, CamTarget, CamResult> explain, Tensor input, CamTarget target)
    {
        ArgumentNullException.ThrowIfNull(explain);
        ArgumentNullException.ThrowIfNull(target);
        var identity = explain(input, target);
        try
        {
            var fixedTarget = target.WithClassesOf(identity);
            using var scope = NewDisposeScope();
            var sum = zeros_like(identity.Maps);
            foreach (var (flip, factor) in Augmentations)
            {
                if (!flip && factor == 1f)
                {
                    sum.add_(identity.Maps, CachedScalars.One);
                    continue;
                }
                using var inner = NewDisposeScope();
                using var scale = factor.ToScalar();
                var x = input.detach().mul(scale);
                using var r = explain(flip ? x.flip(-1) : x, fixedTarget);
                sum.add_(flip ? r.Maps.flip(-1) : r.Maps, CachedScalars.One);
            }
            using var count = Augmentations.Count.ToScalar();
            return identity.WithMaps(sum.div_(count).MoveToOuterDisposeScope());
        }
        catch
        {
            identity.Dispose();
            throw;
        }
    }
}
