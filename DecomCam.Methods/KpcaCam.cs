using DecomCamNet.Cam;
using DecomCamNet.Native;
using Microsoft.Extensions.Logging;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet;

/// <summary>The kernel of <see cref="KpcaCam"/>, as scikit-learn's <c>KernelPCA</c> names and defines them.</summary>
public enum KpcaKernel
{
    /// <summary>tanh(γ⟨x,y⟩ + c₀) (pytorch-grad-cam's default).</summary>
    Sigmoid,

    /// <summary>exp(−γ‖x − y‖²).</summary>
    Rbf,

    /// <summary>(γ⟨x,y⟩ + c₀)^degree.</summary>
    Poly,

    /// <summary>⟨x,y⟩: ordinary PCA, the same map as Eigen-CAM.</summary>
    Linear,

    /// <summary>⟨x,y⟩ / (‖x‖ ‖y‖).</summary>
    Cosine,
}

/// <summary>Options of <see cref="KpcaCam"/>; defaults are scikit-learn's, as pytorch-grad-cam uses them.</summary>
/// <param name="Kernel">The kernel (default <see cref="KpcaKernel.Sigmoid"/>).</param>
/// <param name="Gamma">γ; null (default): 1 / C for C channels.</param>
/// <param name="Degree">The degree of <see cref="KpcaKernel.Poly"/> (default 3).</param>
/// <param name="Coef0">c₀ of <see cref="KpcaKernel.Sigmoid"/> and <see cref="KpcaKernel.Poly"/> (default 1).</param>
public sealed record KpcaCamOptions(KpcaKernel Kernel = KpcaKernel.Sigmoid, double? Gamma = null, int Degree = 3, double Coef0 = 1);

/// <summary>
/// KPCA-CAM (Karmani et al., 2024): Eigen-CAM with kernel PCA. The activations, positions × channels with centred
/// columns, give the kernel matrix K between positions; K is centred in feature space (K − 1K − K1 + 1K1) and its top
/// eigenpair (v, λ) gives the map v·√λ, the first kernel principal component of each position. Class-agnostic and
/// gradient-free. Computed in float64 on the device (an h·w × h·w eigenproblem per image). Sign rule: the largest-
/// magnitude entry is made positive (see <see cref="Pca.LargestEntrySign"/>; scikit-learn's rule is the same).
/// </summary>
public sealed class KpcaCam : CamMethod
{
    private static readonly Scalar NormFloor = 1e-12.ToScalar();

    private readonly KpcaCamOptions _options;

    /// <summary>KPCA-CAM on one target layer.</summary>
    public KpcaCam(nn.Module<Tensor, Tensor> model, CamLayer layer, KpcaCamOptions? options = null, ILogger? logger = null)
        : this(model, new[] { layer }, options, logger) { }

    /// <summary>KPCA-CAM averaged over several target layers.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Gamma is not positive and finite, Degree is below 1 or the kernel is unknown.</exception>
    public KpcaCam(nn.Module<Tensor, Tensor> model, IReadOnlyList<CamLayer> layers, KpcaCamOptions? options = null, ILogger? logger = null)
        : base(model, Checked(layers, options), logger) => _options = options ?? new KpcaCamOptions();

    /// <inheritdoc />
    public override string Name => "kpcacam";

    /// <inheritdoc />
    protected override bool RequiresGradients => false;

    /// <inheritdoc />
    /// <remarks>KPCA-CAM's map is the first kernel principal component of the activations: eigen smoothing leaves it unchanged.</remarks>
    protected override LayerMapKind MapKind => LayerMapKind.PrincipalComponent;

    /// <inheritdoc />
    protected override LayerMap ComputeLayerMap(CamContext context, int layer)
    {
        var a = context.Activations[layer];
        var x = a.flatten(2).transpose(1, 2).to_type(ScalarType.Float64); // [M,n,C]
        x = x - x.mean(new long[] { 1 }, keepdim: true);
        var k = KernelMatrix(x, _options.Gamma ?? 1.0 / a.shape[1]);
        var centred = (k - k.mean(new long[] { 1 }, keepdim: true) - k.mean(new long[] { 2 }, keepdim: true)).add(k.mean(new long[] { 1, 2 }, keepdim: true), CachedScalars.One);
        var (values, vectors) = linalg.eigh(centred);
        var top = vectors[.., .., ^1] * values[.., ^1..].clamp_min(CachedScalars.Zero).sqrt(); // [M,n]
        var map = (top * Pca.LargestEntrySign(top)).to_type(a.dtype);
        return new LayerMap(map.reshape(a.shape[0], a.shape[2], a.shape[3]));
    }

    /// <summary>Validates before the base class registers hooks, so that a bad option leaves none behind.</summary>
    private static IReadOnlyList<CamLayer> Checked(IReadOnlyList<CamLayer> layers, KpcaCamOptions? options)
    {
        if (options is null) return layers;
        if (options.Gamma is <= 0 || options.Gamma is double g && !double.IsFinite(g))
            throw new ArgumentOutOfRangeException(nameof(options), options.Gamma, "Gamma must be positive and finite.");
        if (options.Degree < 1) throw new ArgumentOutOfRangeException(nameof(options), options.Degree, "Degree must be at least 1.");
        if (!Enum.IsDefined(options.Kernel)) throw new ArgumentOutOfRangeException(nameof(options), options.Kernel, "Unknown kernel.");
        return layers;
    }

    private Tensor KernelMatrix(Tensor x, double gamma)
    {
        using var gammaScalar = gamma.ToScalar();
        using var minusGamma = (-gamma).ToScalar();
        using var coef0 = _options.Coef0.ToScalar();
        using var degree = _options.Degree.ToScalar();
        var dot = x.matmul(x.transpose(1, 2));
        switch (_options.Kernel)
        {
            case KpcaKernel.Linear:
                return dot;
            case KpcaKernel.Sigmoid:
                return dot.mul(gammaScalar).add(coef0, CachedScalars.One).tanh();
            case KpcaKernel.Poly:
                return dot.mul(gammaScalar).add(coef0, CachedScalars.One).pow(degree);
            case KpcaKernel.Rbf:
                var squares = dot.diagonal(0, 1, 2);
                return squares.unsqueeze(2).add(squares.unsqueeze(1), CachedScalars.One).sub(dot.mul(CachedScalars.Two)).clamp_min(CachedScalars.Zero).mul(minusGamma).exp();
            default:
                var norm = dot.diagonal(0, 1, 2).sqrt().clamp_min(NormFloor);
                return dot / (norm.unsqueeze(2) * norm.unsqueeze(1));
        }
    }
}
