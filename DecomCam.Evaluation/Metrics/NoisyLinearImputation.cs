using DecomCamNet.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet.Evaluation.Metrics;

/// <summary>
/// ROAD's noisy linear imputation (Rong et al. 2022, "A Consistent and Efficient Evaluation Strategy for Attribution
/// Methods"; pytorch-grad-cam's <c>NoisyLinearImputer</c>): every removed pixel becomes the weighted mean of its eight
/// neighbours, 1/6 for the four edge neighbours and 1/12 for the four diagonal ones, renormalised over the neighbours
/// inside the image; neighbours that are themselves removed are unknowns of the same linear system, so the removed
/// region is filled by a discrete harmonic interpolation of the kept pixels, channel by channel. Then Gaussian noise of
/// standard deviation <c>noise</c> (absolute, in the input tensor's units; 0.01 by default) is added to the removed
/// pixels only.
/// <para>
/// The reference solves the sparse system directly (SciPy's <c>spsolve</c>, on the CPU). Here the same system, which is
/// symmetric and positive definite on every removed region that touches a kept pixel, is solved by Jacobi-preconditioned
/// conjugate gradients in float64 on the images' device: the matrix is never formed, each product is a
/// 3×3 neighbour sum, each solve starts from the same problem's solution at half resolution, and all images and channels
/// of a batch are solved together (measured: within 10⁻⁵ of SciPy's solution; about 7 s per 224×224 image and percentile on
/// 2 busy CPU cores, so ROAD's 18 imputations take minutes per image on a CPU). A removed region with no kept pixel at all (for example a
/// whole image removed) has no unique solution; it is filled with zeros plus noise.
/// </para>
/// </summary>
public static class NoisyLinearImputation
{
    private static readonly Scalar Half = 0.5.ToScalar();
    private static readonly Scalar WeightFloor = 1e-12.ToScalar();
    private static readonly Scalar Four = 4.ToScalar();
    private static readonly Scalar Twelve = 12.ToScalar();

    /// <summary>The default noise standard deviation (pytorch-grad-cam's and ROAD's).</summary>
    public const double DefaultNoise = 0.01;

    /// <summary>The default relative residual at which conjugate gradients stop.</summary>
    public const double DefaultTolerance = 1e-7;

    /// <summary>
    /// Imputes the pixels where <paramref name="keep"/> [N,H,W] (boolean or 0/1) is false/0 in <paramref name="images"/>
    /// [N,C,H,W], adding noise drawn from <paramref name="generator"/> (seeded by the caller; the global generator when null;
    /// none when <paramref name="noise"/> is 0). Returns new images in the images' dtype and device.
    /// </summary>
    /// <param name="images">The input tensor [N,C,H,W], as given to the model.</param>
    /// <param name="keep">Which pixels stay [N,H,W].</param>
    /// <param name="noise">The noise standard deviation, ≥ 0.</param>
    /// <param name="generator">The random generator for the noise, on the images' device.</param>
    /// <param name="maxIterations">The most conjugate-gradient iterations (default 10·(H+W) + 100).</param>
    /// <param name="tolerance">Stop when every system's residual norm is below this fraction of its right-hand side's.</param>
    /// <exception cref="ArgumentException">A shape does not fit.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A negative noise, tolerance or iteration count.</exception>
    public static Tensor Impute(Tensor images, Tensor keep, double noise = DefaultNoise, Generator? generator = null,
        int? maxIterations = null, double tolerance = DefaultTolerance)
    {
        MetricInputs.Images(images);
        MetricInputs.Masks(keep, images.shape[0], images.shape[2], images.shape[3], nameof(keep));
        CheckSettings(noise, maxIterations, tolerance);
        using var scope = NewDisposeScope();
        var known = keep.to(images.dtype, images.device);
        var filled = Solve(images, known, maxIterations, tolerance);
        if (noise > 0)
        {
            using var scale = noise.ToScalar();
            filled = filled.add(OwnedScalarOps.OneMinus(known).unsqueeze(1).mul(randn(images.shape, dtype: images.dtype, device: images.device, generator: generator)).mul(scale), CachedScalars.One);
        }
        return filled.MoveToOuterDisposeScope();
    }

    internal static void CheckSettings(double noise, int? maxIterations, double tolerance)
    {
        if (!(noise >= 0) || double.IsInfinity(noise)) throw new ArgumentOutOfRangeException(nameof(noise), noise, "The noise must be a finite number ≥ 0.");
        if (maxIterations is { } m && m < 1) throw new ArgumentOutOfRangeException(nameof(maxIterations), m, "At least one iteration is needed.");
        if (!(tolerance > 0)) throw new ArgumentOutOfRangeException(nameof(tolerance), tolerance, "The tolerance must be positive.");
    }

    /// <summary>
    /// The noise-free imputation: <paramref name="images"/> [N,C,H,W] with the pixels where <paramref name="known"/>
    /// [N,H,W] (0/1 in the images' dtype) is 0 replaced by the solution of the neighbour system.
    /// </summary>
    internal static Tensor Solve(Tensor images, Tensor known, int? maxIterations, double tolerance)
    {
        long n = images.shape[0], c = images.shape[1], h = images.shape[2], w = images.shape[3];
        int iterations = maxIterations ?? (int)Math.Min(int.MaxValue, 10 * (h + w) + 100);
        var x = images.to(ScalarType.Float64).reshape(n * c, 1, h, w);
        var kept = known.to(ScalarType.Float64).unsqueeze(1).expand(n, c, h, w).reshape(n * c, 1, h, w);
        return SolvePlanes(x, kept, iterations, tolerance).view(n, c, h, w).to(images.dtype);
    }

    /// <summary>The smallest side that is still coarsened for a starting guess.</summary>
    private const long CoarsestSide = 16;

    /// <summary>
    /// Solves planes [B,1,H,W] (float64) with kept pixels [B,1,H,W] (0/1): conjugate gradients started from the solution
    /// of the same problem at half resolution (where a coarse pixel is kept when its kept fine pixels average it), so the
    /// smooth part of the fill, which plain conjugate gradients reach only slowly, is there from the start.
    /// </summary>
    private static Tensor SolvePlanes(Tensor x, Tensor kept, int iterations, double tolerance)
    {
        long h = x.shape[2], w = x.shape[3];
        var device = x.device;
        var unknown = OwnedScalarOps.OneMinus(kept);
        Tensor start;
        if (Math.Min(h, w) >= 2 * CoarsestSide)
        {
            var pooledKept = nn.functional.avg_pool2d(kept, 2, ceil_mode: true);
            var coarseKept = pooledKept.gt(Half).to(ScalarType.Float64);
            var coarseX = nn.functional.avg_pool2d(kept * x, 2, ceil_mode: true) / pooledKept.clamp_min(WeightFloor);
            var coarse = SolvePlanes(coarseX * coarseKept, coarseKept, iterations, tolerance);
            start = unknown * nn.functional.interpolate(coarse, new[] { h, w }, mode: InterpolationMode.Bilinear, align_corners: false);
        }
        else
        {
            start = zeros_like(x);
        }

        Tensor Neighbours(Tensor v) => NeighbourSum(v);
        // The weight of the neighbours inside the image: 1 inside, less on the border.
        var diagonal = Neighbours(ones(1, 1, h, w, dtype: ScalarType.Float64, device: device));
        Tensor Apply(Tensor v) => unknown * (diagonal * v - Neighbours(v));

        var dims = new long[] { 1, 2, 3 };
        var rhs = unknown * Neighbours(kept * x);
        var solution = start;
        var residual = rhs - Apply(start);
        var direction = residual / diagonal;
        var rz = (residual * direction).sum(dims, keepdim: true);
        using var toleranceSquared = (tolerance * tolerance).ToScalar();
        var limit = rhs.pow(CachedScalars.Two).sum(dims, keepdim: true).mul(toleranceSquared);
        for (int i = 0; i < iterations; i++)
        {
            using var step = NewDisposeScope();
            if (i % 8 == 0 && residual.pow(CachedScalars.Two).sum(dims, keepdim: true).le(limit).all().item<bool>()) break;
            var product = Apply(direction);
            var curvature = (direction * product).sum(dims, keepdim: true);
            var alpha = where(curvature.gt(CachedScalars.Zero), rz / curvature, zeros_like(curvature));
            solution.add_(alpha * direction, CachedScalars.One);
            residual.sub_(alpha * product);
            var preconditioned = residual / diagonal;
            var rzNext = (residual * preconditioned).sum(dims, keepdim: true);
            var beta = where(rz.gt(CachedScalars.Zero), rzNext / rz, zeros_like(rz));
            direction.mul_(beta).add_(preconditioned, CachedScalars.One);
            rz.copy_(rzNext);
        }
        return (kept * x).add(unknown * solution, CachedScalars.One);
    }

    /// <summary>
    /// The weighted sum of each pixel's eight neighbours (1/6 edge, 1/12 diagonal; zero outside the image) of planes
    /// [B,1,H,W]: the separable [1,2,1]⊗[1,2,1] sum minus 4× the centre, over 12. Shifted adds instead of a 3×3
    /// convolution, which runs a slow im2col path in float64 on the CPU.
    /// </summary>
    private static Tensor NeighbourSum(Tensor v)
    {
        long h = v.shape[2], w = v.shape[3];
        var padded = nn.functional.pad(v, new long[] { 1, 1, 1, 1 });
        var rows = padded.narrow(2, 0, h).add(padded.narrow(2, 1, h).mul(CachedScalars.Two), CachedScalars.One).add(padded.narrow(2, 2, h), CachedScalars.One);
        var both = rows.narrow(3, 0, w).add(rows.narrow(3, 1, w).mul(CachedScalars.Two), CachedScalars.One).add(rows.narrow(3, 2, w), CachedScalars.One);
        return (both - v.mul(Four)).div(Twelve);
    }
}
