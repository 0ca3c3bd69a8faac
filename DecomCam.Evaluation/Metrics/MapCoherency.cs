using DecomCamNet.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet.Evaluation.Metrics;

/// <summary>
/// Coherency (Poppi et al. 2021, ADCC; pytorch-grad-cam's <c>Coherency</c>): explain the image multiplied by its own map
/// (the map broadcast over channels, on the input tensor as given) with the same method and class, and compare the new
/// map with the old one by Pearson's correlation, rescaled to [0,1]: (ρ + 1)/2 with
/// ρ = cov/(σ₁σ₂ + 10⁻⁸) (sample covariance and deviations, n − 1). 1 means the explanation explains itself.
/// </summary>
public static class MapCoherency
{
    private static readonly Scalar Epsilon = 1e-8.ToScalar();

    /// <summary>
    /// Coherency per image [N] (float32, on the images' device). <paramref name="explain"/> is the CAM method: it receives
    /// the masked images [N,C,H,W] and the classes (long [N], on the images' device) and returns maps [N,H,W] (any
    /// device); it runs with gradients enabled, outside this library's no-grad scope, and its result is disposed here.
    /// <paramref name="classes"/> must be explicit (the classes <paramref name="maps"/> were computed for).
    /// </summary>
    /// <exception cref="ArgumentException">A shape or count does not fit, <see cref="TargetClasses.Predicted"/> was given, or <paramref name="explain"/> returned a wrong shape.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Maps outside [0,1].</exception>
    public static Tensor Compute(Tensor images, Tensor maps, TargetClasses classes, Func<Tensor, Tensor, Tensor> explain)
    {
        ArgumentNullException.ThrowIfNull(explain);
        ArgumentNullException.ThrowIfNull(classes);
        MetricInputs.Images(images);
        long n = images.shape[0];
        MetricInputs.Maps(maps, n, images.shape[2], images.shape[3]);
        if (classes.IsPredicted)
            throw new ArgumentException("Coherency needs the classes the maps explain; give them as int[] or a long tensor.", nameof(classes));
        classes.Validate(n, nameof(classes));

        using var scope = NewDisposeScope();
        var target = classes.ToTensor(images.device)!;
        var masked = images * maps.to(images.dtype, images.device).unsqueeze(1);
        var again = explain(masked, target);
        if (again is null || again.dim() != 3 || again.shape[0] != n || again.shape[1] != images.shape[2] || again.shape[2] != images.shape[3])
            throw new ArgumentException($"The explain function must return maps [{n},{images.shape[2]},{images.shape[3]}]; it returned {(again is null ? "null" : MetricInputs.Shape(again))}.", nameof(explain));
        var rho = Pearson(again.detach().to(ScalarType.Float64, images.device), maps.to(ScalarType.Float64, images.device));
        return rho.add(CachedScalars.One, CachedScalars.One).div(CachedScalars.Two).to(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    /// <summary>Pearson's correlation of each pair of maps [N,...] → [N], with pytorch-grad-cam's 10⁻⁸ in the denominator.</summary>
    internal static Tensor Pearson(Tensor a, Tensor b)
    {
        var x = a.flatten(1);
        var y = b.flatten(1);
        long count = x.shape[1];
        if (count < 2) throw new ArgumentException("Correlation needs maps of at least two pixels.");
        var dims = new long[] { 1 };
        var dx = x - x.mean(dims, keepdim: true);
        var dy = y - y.mean(dims, keepdim: true);
        using var degrees = (count - 1).ToScalar();
        var covariance = (dx * dy).sum(1).div(degrees);
        var sx = dx.pow(CachedScalars.Two).sum(1).div(degrees).sqrt();
        var sy = dy.pow(CachedScalars.Two).sum(1).div(degrees).sqrt();
        return covariance / (sx * sy).add(Epsilon, CachedScalars.One);
    }
}
