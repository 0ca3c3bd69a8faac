using DecomCamNet.Cam;
using DecomCamNet.Native;
using Microsoft.Extensions.Logging;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet;

/// <summary>Options of <see cref="Fem"/>.</summary>
/// <param name="K">k of the threshold mean + k·std (default 2, the paper's and pytorch-grad-cam's).</param>
public sealed record FemOptions(double K = 2);

/// <summary>
/// FEM, the Feature Explanation Method (Fuad et al., 2020): a channel's weight is the fraction of its positions whose
/// activation exceeds the k-sigma threshold μ_k + k·σ_k of that channel (mean and population standard deviation over
/// h,w), w_k = mean_{h,w} [A_k &gt; μ_k + k·σ_k]; L = Σ_k w_k A_k. Gradient-free and class-agnostic: the target only
/// selects what the result reports as score. Intermediate: <c>weights</c> [M,C].
/// </summary>
public sealed class Fem : CamMethod
{
    private readonly FemOptions _options;

    /// <summary>FEM on one target layer.</summary>
    public Fem(nn.Module<Tensor, Tensor> model, CamLayer layer, FemOptions? options = null, ILogger? logger = null)
        : this(model, new[] { layer }, options, logger) { }

    /// <summary>FEM averaged over several target layers.</summary>
    /// <exception cref="ArgumentOutOfRangeException">K is not finite.</exception>
    public Fem(nn.Module<Tensor, Tensor> model, IReadOnlyList<CamLayer> layers, FemOptions? options = null, ILogger? logger = null)
        : base(model, Checked(layers, options), logger) => _options = options ?? new FemOptions();

    /// <inheritdoc />
    public override string Name => "fem";

    /// <inheritdoc />
    protected override bool RequiresGradients => false;

    /// <inheritdoc />
    protected override LayerMap ComputeLayerMap(CamContext context, int layer)
    {
        var a = context.Activations[layer];
        var dims = new long[] { 2, 3 };
        using var k = _options.K.ToScalar();
        var threshold = a.mean(dims, keepdim: true).add(a.std(dims, unbiased: false, keepdim: true).mul(k), CachedScalars.One);
        var weights = a.gt(threshold).to_type(a.dtype).mean(dims);
        return LayerMap.Weighted(weights, a, new Dictionary<string, Tensor> { ["weights"] = weights });
    }

    /// <summary>Validates before the base class registers hooks, so that a bad option leaves none behind.</summary>
    private static IReadOnlyList<CamLayer> Checked(IReadOnlyList<CamLayer> layers, FemOptions? options)
    {
        if (options is not null && !double.IsFinite(options.K))
            throw new ArgumentOutOfRangeException(nameof(options), options.K, "K must be finite.");
        return layers;
    }
}
