using DecomCamNet.Cam;
using DecomCamNet.Native;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace DecomCamNet;

/// <summary>Options of <see cref="RandomCam"/>.</summary>
/// <param name="Seed">Seeds the weights: the same seed gives the same maps for the same input, call after call.</param>
public sealed record RandomCamOptions(long Seed = 0);

/// <summary>
/// Random-CAM (pytorch-grad-cam), a baseline for the faithfulness metrics: channel weights drawn uniformly from [−1, 1),
/// L = Σ_k w_k A_k. Gradient-free. Each call draws from a CPU generator seeded with <see cref="RandomCamOptions.Seed"/>
/// (layer l of several with Seed + l), as <c>torch.rand(M, C, generator) · 2 − 1</c>, so a map depends only on the
/// seed, the input and the row order. Intermediate: <c>weights</c> [M,C].
/// </summary>
public sealed class RandomCam : CamMethod
{
    private readonly RandomCamOptions _options;

    /// <summary>Random-CAM on one target layer.</summary>
    public RandomCam(nn.Module<Tensor, Tensor> model, CamLayer layer, RandomCamOptions? options = null, ILogger? logger = null)
        : this(model, new[] { layer }, options, logger) { }

    /// <summary>Random-CAM averaged over several target layers.</summary>
    public RandomCam(nn.Module<Tensor, Tensor> model, IReadOnlyList<CamLayer> layers, RandomCamOptions? options = null, ILogger? logger = null)
        : base(model, layers, logger) => _options = options ?? new RandomCamOptions();

    /// <inheritdoc />
    public override string Name => "randomcam";

    /// <inheritdoc />
    protected override bool RequiresGradients => false;

    /// <inheritdoc />
    protected override LayerMap ComputeLayerMap(CamContext context, int layer)
    {
        var a = context.Activations[layer];
        using var generator = new Generator((ulong)(_options.Seed + layer));
        var weights = rand(new[] { a.shape[0], a.shape[1] }, generator: generator, dtype: a.dtype).mul(CachedScalars.Two).sub(CachedScalars.One).to(a.device);
        return LayerMap.Weighted(weights, a, new Dictionary<string, Tensor> { ["weights"] = weights });
    }
}
