using DecomCamNet.Cam;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace DecomCamNet;

/// <summary>Options of <see cref="ScoreCam"/>.</summary>
/// <param name="BatchSize">Masked inputs per forward; peak memory is bounded by one batch. Null (default): by device,
/// <see cref="CamContext.DefaultBatchSize"/>.</param>
public sealed record ScoreCamOptions(int? BatchSize = null);

/// <summary>
/// Score-CAM (Wang et al., 2020): gradient-free. Each activation channel, upsampled and min-max normalised, masks the
/// input; the target logits of the masked inputs, softmaxed over the channels, weight the channels:
/// L = ReLU(Σ_k softmax(s)_k A_k). Cost: one forward per non-constant channel, in batches; progress and cancellation
/// are honoured between batches.
/// </summary>
public sealed class ScoreCam : CamMethod
{
    private readonly ScoreCamOptions _options;

    /// <summary>Score-CAM on one target layer.</summary>
    public ScoreCam(nn.Module<Tensor, Tensor> model, CamLayer layer, ScoreCamOptions? options = null, ILogger? logger = null)
        : this(model, new[] { layer }, options, logger) { }

    /// <summary>Score-CAM averaged over several target layers.</summary>
    public ScoreCam(nn.Module<Tensor, Tensor> model, IReadOnlyList<CamLayer> layers, ScoreCamOptions? options = null, ILogger? logger = null)
        : base(model, layers, logger)
    {
        _options = options ?? new ScoreCamOptions();
        if (_options.BatchSize is < 1) throw new ArgumentOutOfRangeException(nameof(options), _options.BatchSize, "BatchSize must be at least 1.");
    }

    /// <inheritdoc />
    public override string Name => "scorecam";

    /// <inheritdoc />
    protected override bool UsesMaskedForwards => _options.BatchSize is null;

    /// <inheritdoc />
    protected override bool RequiresGradients => false;

    /// <inheritdoc />
    protected override LayerMap ComputeLayerMap(CamContext context, int layer)
    {
        var a = context.Activations[layer];
        var scores = ChannelMaskScoring.Scores(context, a, _options.BatchSize);
        var weights = scores.softmax(1);
        return LayerMap.Weighted(weights, a, new Dictionary<string, Tensor> { ["channel_scores"] = scores });
    }
}
