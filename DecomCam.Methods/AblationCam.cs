using DecomCamNet.Cam;
using DecomCamNet.Native;
using Microsoft.Extensions.Logging;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet;

/// <summary>Options of <see cref="AblationCam"/>.</summary>
/// <param name="BatchSize">Ablated copies per forward; peak memory is bounded by one batch. Null (default): by device,
/// <see cref="CamContext.DefaultBatchSize"/>.</param>
public sealed record AblationCamOptions(int? BatchSize = null);

/// <summary>
/// Ablation-CAM (Desai and Ramaswamy, 2020): gradient-free. Each channel k of the layer's output is ablated in turn and the
/// model is run on with the ablated output; the relative drop of the target score weights the channel,
/// w_k = (s − s_k) / s (the absolute drop where s = 0), L = Σ_k w_k A_k. Ablating sets the channel to 0 when the image's
/// activations have minimum 0 (after a ReLU) and to min − 10⁷ otherwise, pytorch-grad-cam's rule for layers whose
/// activations can be negative (pytorch-grad-cam lowers that value again for each later copy in a batch; here every
/// copy gets the first one's). Channels that ablation leaves unchanged (already all at the ablation value) are not
/// forwarded: their weight is 0. Cost: one forward per changed channel, in batches, through the whole model (the layer's
/// output is replaced by a hook); progress (stage "ablations") and cancellation between batches.
/// The layer must output a feature map [N,C,h,w] (no token reshape). Intermediates: <c>ablation_scores</c> [M,C]
/// (s_k; s for channels not forwarded), <c>weights</c> [M,C].
/// </summary>
public sealed class AblationCam : CamMethod
{
    private const double NegativeOffset = 1e7;

    private static readonly Scalar NegativeOffsetScalar = NegativeOffset.ToScalar();
    private readonly AblationCamOptions _options;
    private readonly IReadOnlyList<nn.Module<Tensor, Tensor>> _modules;

    /// <summary>Ablation-CAM on one target layer.</summary>
    public AblationCam(nn.Module<Tensor, Tensor> model, CamLayer layer, AblationCamOptions? options = null, ILogger? logger = null)
        : this(model, new[] { layer }, options, logger) { }

    /// <summary>Ablation-CAM averaged over several target layers.</summary>
    /// <exception cref="ArgumentException">A layer has a token reshape (only feature-map layers can be ablated), or
    /// <see cref="AblationCamOptions.BatchSize"/> is below 1.</exception>
    public AblationCam(nn.Module<Tensor, Tensor> model, IReadOnlyList<CamLayer> layers, AblationCamOptions? options = null, ILogger? logger = null)
        : base(model, Checked(layers, options), logger)
    {
        _options = options ?? new AblationCamOptions();
        _modules = layers.Select(l => l.Resolve(model).Module).ToArray();
    }

    /// <inheritdoc />
    public override string Name => "ablationcam";

    /// <summary>Validates before the base class registers hooks, so that a bad argument leaves none behind.</summary>
    private static IReadOnlyList<CamLayer> Checked(IReadOnlyList<CamLayer> layers, AblationCamOptions? options)
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (options?.BatchSize is < 1) throw new ArgumentOutOfRangeException(nameof(options), options.BatchSize, "BatchSize must be at least 1.");
        if (layers.FirstOrDefault(l => l.Reshape is { Layout: not ActivationLayout.FeatureMap }) is { Reshape: not null } tokens)
            throw new ArgumentException($"Ablation-CAM ablates channels of a feature map [N,C,h,w]; layer '{tokens}' outputs tokens.", nameof(layers));
        return layers;
    }

    /// <inheritdoc />
    protected override bool UsesMaskedForwards => _options.BatchSize is null;

    /// <inheritdoc />
    protected override bool RequiresGradients => false;

    /// <inheritdoc />
    protected override LayerMap ComputeLayerMap(CamContext context, int layer)
    {
        var a = context.Activations[layer];
        long m = a.shape[0], c = a.shape[1];
        var low = a.amin(new long[] { 1, 2, 3 });
        var value = where(low.eq(CachedScalars.Zero), zeros_like(low), low.sub(NegativeOffsetScalar)).reshape(-1, 1, 1, 1); // [M,1,1,1]
        var items = a.ne(value).flatten(2).any(-1).flatten().nonzero().flatten(); // (row, channel) pairs that ablation changes
        using var channelCount = c.ToScalar();
        var itemRows = items.div(channelCount, rounding_mode: RoundingMode.floor);
        var itemChannels = items.remainder(channelCount);
        var channels = OwnedScalarOps.Arange(c, device: a.device).reshape(1, -1, 1, 1);
        var input = context.Input;
        Tensor scores;
        using (var replace = new LayerOutputOverride(_modules[layer]))
        {
            scores = context.ScoreInBatches(items.shape[0], _options.BatchSize, (start, length) =>
            {
                var rows = itemRows.narrow(0, start, length);
                var hit = channels.eq(itemChannels.narrow(0, start, length).reshape(-1, 1, 1, 1));
                replace.Replacement = where(hit, value.index_select(0, rows), a.index_select(0, rows));
                return (input.index_select(0, rows), rows);
            }, ScoreKind.Logit, "ablations");
        }
        var s = context.Scores.unsqueeze(1);
        var ablated = context.Scores.repeat_interleave(c).index_put_(scores, items).reshape(m, c);
        var drop = s - ablated;
        var weights = where(s.eq(CachedScalars.Zero), drop, drop / s);
        return LayerMap.Weighted(weights, a, new Dictionary<string, Tensor>
        {
            ["ablation_scores"] = ablated,
            ["weights"] = weights,
        });
    }
}
