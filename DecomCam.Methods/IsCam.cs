using DecomCamNet.Cam;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace DecomCamNet;

/// <summary>Options of <see cref="IsCam"/>; defaults are torch-cam's.</summary>
/// <param name="Samples">N, integration steps (default 10).</param>
/// <param name="BatchSize">Scaled inputs per forward. Null (default): by device, <see cref="CamContext.DefaultBatchSize"/>.</param>
public sealed record IsCamOptions(int Samples = 10, int? BatchSize = null);

/// <summary>
/// IS-CAM (Naidu et al., 2020), integrated Score-CAM as torch-cam computes it: w_k = softmax_k((1/N) Σ_i Y(c_i · x ⊙ M_k)
/// − Y(x)), with M_k the channel's min-max normalised activation upsampled to the input and the running coefficient
/// c_i = Σ_{j=1..i} j/N (torch-cam's accumulation: 1/N, 3/N, 6/N, …); L = Σ_k w_k A_k. Deterministic and
/// gradient-free; N·C forwards per row, in batches (stage "scaled masked forwards"), with progress and cancellation.
/// Intermediate: <c>gains</c> [M,C], the averaged score gains before the softmax.
/// </summary>
public sealed class IsCam : CamMethod
{
    private readonly IsCamOptions _options;

    /// <summary>IS-CAM on one target layer.</summary>
    public IsCam(nn.Module<Tensor, Tensor> model, CamLayer layer, IsCamOptions? options = null, ILogger? logger = null)
        : this(model, new[] { layer }, options, logger) { }

    /// <summary>IS-CAM averaged over several target layers.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Samples or BatchSize below 1.</exception>
    public IsCam(nn.Module<Tensor, Tensor> model, IReadOnlyList<CamLayer> layers, IsCamOptions? options = null, ILogger? logger = null)
        : base(model, Checked(layers, options), logger) => _options = options ?? new IsCamOptions();

    /// <inheritdoc />
    public override string Name => "iscam";

    /// <inheritdoc />
    protected override bool UsesMaskedForwards => _options.BatchSize is null;

    /// <inheritdoc />
    protected override bool RequiresGradients => false;

    /// <inheritdoc />
    protected override LayerMap ComputeLayerMap(CamContext context, int layer)
    {
        var a = context.Activations[layer];
        int n = _options.Samples;
        var coefficients = tensor(Enumerable.Range(1, n).Select(i => (float)(i * (i + 1) / 2.0 / n)).ToArray(), device: a.device).to_type(a.dtype);
        var gains = SampledChannelScoring.MeanGains(context, a, n, _options.BatchSize, (masks, inputs, samples, _) =>
            coefficients.index_select(0, samples).reshape(-1, 1, 1, 1) * (masks * inputs), "scaled masked forwards");
        return LayerMap.Weighted(gains.softmax(1), a, new Dictionary<string, Tensor> { ["gains"] = gains });
    }

    private static IReadOnlyList<CamLayer> Checked(IReadOnlyList<CamLayer> layers, IsCamOptions? options)
    {
        if (options is null) return layers;
        if (options.Samples < 1) throw new ArgumentOutOfRangeException(nameof(options), options.Samples, "Samples must be at least 1.");
        if (options.BatchSize is < 1) throw new ArgumentOutOfRangeException(nameof(options), options.BatchSize, "BatchSize must be at least 1.");
        return layers;
    }
}
