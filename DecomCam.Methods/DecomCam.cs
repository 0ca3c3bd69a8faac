using DecomCamNet.Cam;
using DecomCamNet.Native;
using Microsoft.Extensions.Logging;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet;

/// <summary>How <see cref="DecomCam"/> turns the scores of the masked inputs into OSSM weights.</summary>
public enum DecomIntegration
{
    /// <summary>The paper's rule: w_q = score(masked_q) − score(blurred input); non-positive weights become 0; divided by the largest.</summary>
    Paper,

    /// <summary>The authors' code: w_q = 0 when score(masked_q) &lt; 0.001, else score(masked_q) / max_q score(masked_q).</summary>
    Official,
}

/// <summary>Options of <see cref="DecomCam"/>; defaults are the paper's (<see cref="BatchSize"/> aside, which is ours).</summary>
/// <param name="P">The channels with the largest Grad-CAM weights kept for the decomposition (default 500; all when fewer).</param>
/// <param name="Q">The number of orthogonal sub-saliency maps, OSSMs (default 10; at most the rank of the data).</param>
/// <param name="Integration">How OSSMs are weighted (default <see cref="DecomIntegration.Paper"/>).</param>
/// <param name="BlurSigma">σ in pixels of the Gaussian-blurred reference (default 10; truncated at 4σ).</param>
/// <param name="BatchSize">Blends per forward; null (default) picks by device: on a GPU the Q(+1) blends of an image go in one
/// pass; on a CPU, equal chunks sized from the model's largest activation (see <see cref="MaskedForwards"/>).</param>
public sealed record DecomCamOptions(int P = 500, int Q = 10, DecomIntegration Integration = DecomIntegration.Paper,
    double BlurSigma = 10, int? BatchSize = null);

/// <summary>
/// DecomCAM (seed 000; official code described in seed 001). Decomposition: the Grad-CAM weights α_k = mean_{h,w} G_k
/// select the top-P channels; the matrix X = [α_k A_k] (positions × channels) is centred and decomposed by SVD on the
/// device, giving Q orthogonal sub-saliency maps (OSSMs), OSSM_q = U_q S_q: the dominant shared activation patterns.
/// Each OSSM is made sign-unique (largest-magnitude entry positive), ReLU'd and upsampled (bicubic). Integration: each
/// OSSM m_q, min-max normalised, blends the input with its Gaussian-blurred copy, max(x ⊙ m_q, blur(x) ⊙ (1 − m_q)); the
/// Q blends are scored in batched forwards without gradients and the scores weight the OSSMs (see <see cref="DecomIntegration"/>):
/// L = Σ_q w_q OSSM_q. Each image of a batch gets its own SVD.
/// Intermediates (per layer): <c>components</c> [M,Q,h,w] (the OSSMs at feature resolution after the sign rule, before
/// ReLU: mutually orthogonal), <c>ossm</c> [M,Q,H,W] (ReLU'd, upsampled, before weighting, ordered by singular value),
/// <c>singular_values</c> [M,Q], <c>weights</c> [M,Q], <c>scores</c> [M,Q] (target logits of the blends).
/// </summary>
/// <example><code>
/// using var cam = new DecomCam(model, "layer4");
/// using var result = cam.Explain(input, 238);
/// var ossm = result.Intermediate("ossm");
/// </code></example>
public sealed class DecomCam : CamMethod
{
    /// <summary>The official code's floor below which an OSSM score counts as zero.</summary>
    private static readonly Scalar OfficialScoreFloor = 0.001.ToScalar();

    private readonly DecomCamOptions _options;

    /// <summary>DecomCAM on one target layer (a module or its dotted name).</summary>
    public DecomCam(nn.Module<Tensor, Tensor> model, CamLayer layer, DecomCamOptions? options = null, ILogger? logger = null)
        : this(model, new[] { layer }, options, logger) { }

    /// <summary>DecomCAM averaged over several target layers.</summary>
    public DecomCam(nn.Module<Tensor, Tensor> model, IReadOnlyList<CamLayer> layers, DecomCamOptions? options = null, ILogger? logger = null)
        : base(model, layers, logger)
    {
        _options = options ?? new DecomCamOptions();
        if (_options.P < 1) throw new ArgumentOutOfRangeException(nameof(options), _options.P, "P (channels kept) must be at least 1.");
        if (_options.Q < 1) throw new ArgumentOutOfRangeException(nameof(options), _options.Q, "Q (OSSMs) must be at least 1.");
        if (_options.BatchSize is < 1) throw new ArgumentOutOfRangeException(nameof(options), _options.BatchSize, "BatchSize must be at least 1.");
    }

    /// <inheritdoc />
    public override string Name => "decomcam";

    /// <inheritdoc />
    /// <remarks>DecomCAM's map is a weighted sum of principal components already: eigen smoothing does not apply.</remarks>
    protected override LayerMapKind MapKind => LayerMapKind.Other;

    /// <inheritdoc />
    protected override bool UsesMaskedForwards => _options.BatchSize is null;

    /// <inheritdoc />
    /// <remarks>The OSSMs, drawn as a grid (<c>NAME_ossm.png</c>, each panel with its weight and singular value) and written by
    /// image sets as <c>NAME_ossm.npy</c>.</remarks>
    protected override IReadOnlyList<IntermediateImage> IntermediateImages { get; } =
        [new("ossm", IntermediateDrawing.ComponentGrid, "ossm", Weights: "weights", SingularValues: "singular_values")];

    /// <inheritdoc />
    protected override LayerMap ComputeLayerMap(CamContext context, int layer)
    {
        var a = context.Activations[layer];
        var g = context.GradientsOf(layer);
        long m = a.shape[0], c = a.shape[1], h = a.shape[2], w = a.shape[3];

        var alpha = g.mean(new long[] { 2, 3 });
        var (top, index) = alpha.topk((int)Math.Min(_options.P, c), dim: 1, largest: true, sorted: true);
        var selected = a.flatten(2).gather(1, index.unsqueeze(-1).expand(-1, -1, h * w)) * top.unsqueeze(-1); // [M,P,hw]
        var (projections, singular, _) = Pca.Project(selected.transpose(1, 2), _options.Q);
        long q = projections.shape[1];
        var components = projections.reshape(m, q, h, w);
        var ossm = nn.functional.relu(components);
        var upsampled = CamKernels.Resize(ossm, context.Height, context.Width, InterpolationMode.Bicubic);

        var (weights, scores) = Integrate(context, upsampled);
        var map = (weights.unsqueeze(-1).unsqueeze(-1) * upsampled).sum(1);
        return new LayerMap(map, new Dictionary<string, Tensor>
        {
            ["components"] = components,
            ["ossm"] = upsampled,
            ["singular_values"] = singular,
            ["weights"] = weights,
            ["scores"] = scores,
        });
    }

    private (Tensor Weights, Tensor Scores) Integrate(CamContext context, Tensor ossm)
    {
        long m = ossm.shape[0], q = ossm.shape[1];
        var input = context.Input;
        var blurred = GaussianBlur.Apply(input, _options.BlurSigma);
        var shifted = ossm - ossm.amin(new long[] { 2, 3 }, keepdim: true);
        var peak = shifted.amax(new long[] { 2, 3 }, keepdim: true);
        var masks = where(peak.gt(CachedScalars.Zero), shifted / peak, shifted); // [M,Q,H,W]
        long total = m * q + (_options.Integration == DecomIntegration.Paper ? m : 0);
        int? batchSize = _options.BatchSize ?? (input.device.type == DeviceType.CPU ? null : (int)(total / m)); // null: the CPU default
        // Items 0..M*Q-1 are the blends (row i / Q, mask i); items M*Q.. the blurred references of the rows. Index
        // tensors are built once per call, so a batch only narrows them (no per-batch native scalars, see CachedScalars).
        var item = OwnedScalarOps.Arange(total, device: input.device);
        using var maskCount = (m * q).ToScalar();
        using var lastMask = (m * q - 1).ToScalar();
        using var masksPerRow = q.ToScalar();
        var isMask = item.lt(maskCount);
        var rows = where(isMask, item.div(masksPerRow, rounding_mode: RoundingMode.floor), item.sub(maskCount));
        var maskOf = item.clamp_max(lastMask);
        var flatMasks = masks.flatten(0, 1).unsqueeze(1); // [M*Q,1,H,W]
        var inverse = OwnedScalarOps.OneMinus(flatMasks);
        var all = context.ScoreInBatches(total, batchSize, (start, length) =>
        {
            var r = rows.narrow(0, start, length);
            // One image: its rows are views of it (no copies); a batch of blends only: its masks are a slice, no references.
            Tensor Rows(Tensor images) => m == 1 ? images.expand(length, -1, -1, -1) : images.index_select(0, r);
            if (start + length <= m * q)
                return (maximum(Rows(input) * flatMasks.narrow(0, start, length), Rows(blurred) * inverse.narrow(0, start, length)), r);
            var k = maskOf.narrow(0, start, length);
            var blurredRows = Rows(blurred);
            var blend = maximum(Rows(input) * flatMasks.index_select(0, k), blurredRows * inverse.index_select(0, k));
            return (where(isMask.narrow(0, start, length).reshape(-1, 1, 1, 1), blend, blurredRows), r);
        }, ScoreKind.Logit, "OSSM scores");
        var scores = all.narrow(0, 0, m * q).reshape(m, q);
        Tensor weights;
        if (_options.Integration == DecomIntegration.Official)
        {
            weights = where(scores.lt(OfficialScoreFloor), zeros_like(scores), scores / scores.amax(new long[] { 1 }, keepdim: true));
        }
        else
        {
            var reference = all.narrow(0, m * q, m).unsqueeze(1);
            var gain = (scores - reference).clamp_min(CachedScalars.Zero);
            var max = gain.amax(new long[] { 1 }, keepdim: true);
            weights = where(max.gt(CachedScalars.Zero), gain / max, zeros_like(gain));
        }
        return (weights, scores);
    }
}
