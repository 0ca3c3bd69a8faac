using DecomCamNet.Cam;
using DecomCamNet.Native;
using Microsoft.Extensions.Logging;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet;

/// <summary>Options of <see cref="SsCam"/>; defaults are torch-cam's.</summary>
/// <param name="Samples">N, noisy copies of each channel's mask (default 35).</param>
/// <param name="NoiseStd">σ of the Gaussian noise added to the normalised, upsampled mask (default 2).</param>
/// <param name="Seed">Seeds the noise: item i (see <see cref="SampledChannelScoring.MeanGains"/>) draws its noise from a
/// CPU generator seeded with Seed + i, so maps do not depend on the batch size.</param>
/// <param name="BatchSize">Perturbed inputs per forward. Null (default): by device, <see cref="CamContext.DefaultBatchSize"/>.</param>
public sealed record SsCamOptions(int Samples = 35, double NoiseStd = 2.0, long Seed = 0, int? BatchSize = null);

/// <summary>
/// SS-CAM (Wang et al., 2020), smoothed Score-CAM as torch-cam computes it: w_k = softmax_k((1/N) Σ_i Y(x ⊙ (M_k + δ_i))
/// − Y(x)), δ_i ~ N(0, σ²) per pixel, M_k the channel's min-max normalised activation upsampled to the input; L = Σ_k w_k A_k.
/// Gradient-free; N·C forwards per row, in batches (stage "noisy masked forwards"), with progress and cancellation.
/// Intermediate: <c>gains</c> [M,C], the averaged score gains before the softmax.
/// </summary>
public sealed class SsCam : CamMethod
{
    private readonly SsCamOptions _options;

    /// <summary>SS-CAM on one target layer.</summary>
    public SsCam(nn.Module<Tensor, Tensor> model, CamLayer layer, SsCamOptions? options = null, ILogger? logger = null)
        : this(model, new[] { layer }, options, logger) { }

    /// <summary>SS-CAM averaged over several target layers.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Samples or BatchSize below 1, or a negative or non-finite NoiseStd.</exception>
    public SsCam(nn.Module<Tensor, Tensor> model, IReadOnlyList<CamLayer> layers, SsCamOptions? options = null, ILogger? logger = null)
        : base(model, Checked(layers, options), logger) => _options = options ?? new SsCamOptions();

    /// <inheritdoc />
    public override string Name => "sscam";

    /// <inheritdoc />
    protected override bool UsesMaskedForwards => _options.BatchSize is null;

    /// <inheritdoc />
    protected override bool RequiresGradients => false;

    /// <inheritdoc />
    protected override LayerMap ComputeLayerMap(CamContext context, int layer)
    {
        var a = context.Activations[layer];
        var gains = SampledChannelScoring.MeanGains(context, a, _options.Samples, _options.BatchSize, (masks, inputs, _, items) =>
            inputs * masks.add(Noise(items, masks), CachedScalars.One), "noisy masked forwards");
        return LayerMap.Weighted(gains.softmax(1), a, new Dictionary<string, Tensor> { ["gains"] = gains });
    }

    /// <summary>σ·N(0,1) noise shaped like one mask per item, each item's from its own seeded CPU generator.</summary>
    private Tensor Noise(Tensor items, Tensor masks)
    {
        var ids = items.cpu().data<long>().ToArray();
        var noise = new Tensor[ids.Length];
        for (int i = 0; i < ids.Length; i++)
        {
            using var generator = new Generator((ulong)(_options.Seed + ids[i]));
            noise[i] = randn(masks.shape[1..], generator: generator);
        }
        using var std = _options.NoiseStd.ToScalar();
        return stack(noise, 0).mul(std).to(masks.dtype, masks.device);
    }

    private static IReadOnlyList<CamLayer> Checked(IReadOnlyList<CamLayer> layers, SsCamOptions? options)
    {
        if (options is null) return layers;
        if (options.Samples < 1) throw new ArgumentOutOfRangeException(nameof(options), options.Samples, "Samples must be at least 1.");
        if (options.NoiseStd < 0 || !double.IsFinite(options.NoiseStd)) throw new ArgumentOutOfRangeException(nameof(options), options.NoiseStd, "NoiseStd must be finite and not negative.");
        if (options.BatchSize is < 1) throw new ArgumentOutOfRangeException(nameof(options), options.BatchSize, "BatchSize must be at least 1.");
        return layers;
    }
}
