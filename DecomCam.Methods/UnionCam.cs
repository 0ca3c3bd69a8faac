using DecomCamNet.Cam;
using DecomCamNet.Imaging;
using DecomCamNet.Native;
using Microsoft.Extensions.Logging;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet;

/// <summary>Options of <see cref="UnionCam"/>.</summary>
/// <param name="Theta">AMD percentile: per channel, gradient entries below this percentile are zeroed (default 10).</param>
/// <param name="BatchSize">Masked inputs per forward. Null (default): by device, <see cref="CamContext.DefaultBatchSize"/>.</param>
/// <param name="Baseline">The reference input for the score differences, broadcastable to the input [N,C,H,W]. Default:
/// a black image expressed in the model's input space, i.e. (0 − mean) / std per channel with ImageNet statistics for
/// 3-channel inputs, zeros otherwise.</param>
public sealed record UnionCamOptions(double Theta = 10, int? BatchSize = null, Tensor? Baseline = null);

/// <summary>
/// UnionCAM (seed 003): unites a denoised gradient map and a region (Score-CAM) map, then keeps the better of the union
/// and the region map.
/// <list type="bullet">
/// <item><description>AMD, activation-map denoising: per channel, gradient entries below the θ-th percentile are zeroed; the
/// positive remainder, L1-normalised per channel, weights the activations elementwise: L_den = minmax(ReLU(Σ_k Ŵ_k ⊙ A_k)).</description></item>
/// <item><description>AMU, activation-map union: β(m) = p(x ⊙ m) − p(baseline) for the target's softmax probability p;
/// L_union = minmax(β_den⁺ L_den + β_reg⁺ L_reg), with negative β clamped to 0 so that no map is inverted.</description></item>
/// <item><description>AMS, activation-map selection: L_union if β(L_union) &gt; β(L_reg), else L_reg, per image.</description></item>
/// </list>
/// Intermediates (per layer): <c>denoised</c>, <c>region</c>, <c>union</c> [M,h,w]; <c>betas</c> [M,3] (den, reg, union);
/// <c>selected_union</c> [M] (1 where the union was selected, 0 where the region map was).
/// </summary>
public sealed class UnionCam : CamMethod
{
    private static readonly Scalar Epsilon = 1e-7.ToScalar();

    private readonly UnionCamOptions _options;

    /// <summary>UnionCAM on one target layer.</summary>
    public UnionCam(nn.Module<Tensor, Tensor> model, CamLayer layer, UnionCamOptions? options = null, ILogger? logger = null)
        : this(model, new[] { layer }, options, logger) { }

    /// <summary>UnionCAM averaged over several target layers.</summary>
    public UnionCam(nn.Module<Tensor, Tensor> model, IReadOnlyList<CamLayer> layers, UnionCamOptions? options = null, ILogger? logger = null)
        : base(model, layers, logger)
    {
        _options = options ?? new UnionCamOptions();
        if (_options.Theta is < 0 or >= 100) throw new ArgumentOutOfRangeException(nameof(options), _options.Theta, "Theta is a percentile in [0, 100).");
        if (_options.BatchSize is < 1) throw new ArgumentOutOfRangeException(nameof(options), _options.BatchSize, "BatchSize must be at least 1.");
    }

    /// <inheritdoc />
    public override string Name => "unioncam";

    /// <inheritdoc />
    /// <remarks>UnionCAM's map is an AMS selection between two maps: eigen smoothing does not apply.</remarks>
    protected override LayerMapKind MapKind => LayerMapKind.Other;

    /// <inheritdoc />
    protected override bool UsesMaskedForwards => _options.BatchSize is null;

    /// <inheritdoc />
    protected override LayerMap ComputeLayerMap(CamContext context, int layer)
    {
        var a = context.Activations[layer];
        var g = context.GradientsOf(layer);

        var flat = g.flatten(2);
        var threshold = flat.quantile(tensor((float)(_options.Theta / 100), dtype: flat.dtype, device: flat.device), -1, keepdim: true);
        var denoised = where(flat.lt(threshold), zeros_like(flat), flat).reshape(g.shape);
        var positive = nn.functional.relu(denoised);
        var normalised = positive / positive.sum(new long[] { 2, 3 }, keepdim: true).add(Epsilon, CachedScalars.One);
        var lDen = CamKernels.ReluNormalize(CamKernels.WeightedSum(normalised, a));

        var scores = ChannelMaskScoring.Scores(context, a, _options.BatchSize);
        var lReg = CamKernels.ReluNormalize(CamKernels.WeightedSum(scores.softmax(1), a));

        var baseline = BaselineProbabilities(context);
        var pair = Betas(context, cat(new[] { lDen, lReg }, 0), baseline.repeat(2)).reshape(2, -1);
        var (betaDen, betaReg) = (pair[0], pair[1]);
        var lUnion = CamKernels.NormalizePerImage((Expand(betaDen.clamp_min(CachedScalars.Zero)) * lDen).add(Expand(betaReg.clamp_min(CachedScalars.Zero)) * lReg, CachedScalars.One));
        var betaUnion = Betas(context, lUnion, baseline);
        var useUnion = betaUnion.gt(betaReg);
        var selected = where(Expand(useUnion), lUnion, lReg);

        return new LayerMap(selected, new Dictionary<string, Tensor>
        {
            ["denoised"] = lDen,
            ["region"] = lReg,
            ["union"] = lUnion,
            ["betas"] = stack(new[] { betaDen, betaReg, betaUnion }, 1),
            ["selected_union"] = useUnion.to_type(a.dtype),
        });
    }

    private static Tensor Expand(Tensor perRow) => perRow.unsqueeze(-1).unsqueeze(-1);

    /// <summary>β for maps [K·M,h,w] (row-major by map then row): p(x ⊙ upsampled map) − p(baseline).</summary>
    private Tensor Betas(CamContext context, Tensor maps, Tensor baseline)
    {
        long m = context.Rows;
        var input = context.Input;
        using var rowCount = m.ToScalar();
        var probabilities = context.ScoreInBatches(maps.shape[0], _options.BatchSize, (start, length) =>
        {
            var rows = OwnedScalarOps.Arange(start, start + length, device: input.device).remainder(rowCount);
            var mask = CamKernels.Resize(maps.narrow(0, start, length), context.Height, context.Width).unsqueeze(1);
            return (input.index_select(0, rows) * mask, rows);
        }, ScoreKind.Probability, "union scores");
        return probabilities - baseline;
    }

    private Tensor BaselineProbabilities(CamContext context)
    {
        var input = context.Input;
        var baseline = _options.Baseline?.to(input.dtype, input.device) ?? DefaultBaseline(input);
        return context.ScoreInBatches(context.Rows, _options.BatchSize, (start, length) =>
            (baseline.expand_as(input).narrow(0, start, length), OwnedScalarOps.Arange(start, start + length, device: input.device)), ScoreKind.Probability, "baseline");
    }

    private static Tensor DefaultBaseline(Tensor input)
    {
        if (input.shape[1] != 3) return zeros_like(input);
        var mean = tensor(ImagePreprocessing.ImageNetMean.ToArray(), device: input.device).to_type(input.dtype).reshape(1, 3, 1, 1);
        var std = tensor(ImagePreprocessing.ImageNetStd.ToArray(), device: input.device).to_type(input.dtype).reshape(1, 3, 1, 1);
        return (zeros_like(input) - mean) / std;
    }
}
