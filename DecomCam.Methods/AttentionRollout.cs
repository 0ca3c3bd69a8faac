using DecomCamNet.Cam;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace DecomCamNet;

/// <summary>
/// Attention rollout (Abnar and Zuidema, 2020, "Quantifying Attention Flow in Transformers"), as jacobgil/vit-explain's
/// <c>rollout</c>: per layer the heads are fused (<see cref="RolloutOptions.HeadFusion"/>: mean, max or min), the
/// ⌊T²·<see cref="RolloutOptions.DiscardRatio"/>⌋ lowest fused entries are set to zero (never the class token's own
/// entry), the identity is added for the residual path, a = (Ā + I)/2, each row is renormalised to sum 1, and
/// R ← a · R from R = I. The map is the class token's row of R over the patch tokens. Rows are renormalised as the paper
/// says (vit-explain's <c>a / a.sum(dim=-1)</c> broadcasts over columns instead). No gradients: the map does not depend
/// on the target. Needs a model whose attention follows the <see cref="Models.AttentionProbabilities"/> convention.
/// </summary>
/// <example><code>
/// using var cam = new AttentionRollout(vit, new RolloutOptions(AttentionHeadFusion.Max, DiscardRatio: 0.9));
/// using var result = cam.Explain(input);
/// </code></example>
public sealed class AttentionRollout : AttentionRelevanceCam
{
    /// <summary>Attention rollout over every attention layer of <paramref name="model"/>; <paramref name="ignoredLayers"/> are logged and not used.</summary>
    /// <exception cref="ArgumentException">The model exposes no attention probabilities.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public AttentionRollout(nn.Module<Tensor, Tensor> model, RolloutOptions? options = null, IReadOnlyList<CamLayer>? ignoredLayers = null, ILogger? logger = null)
        : base(model, ignoredLayers, options ?? new RolloutOptions(), logger)
    {
    }

    /// <inheritdoc />
    public override string Name => "rollout";

    /// <inheritdoc />
    protected override bool RequiresGradients => false;

    /// <inheritdoc />
    protected override Tensor Propagate(CamContext context, int layer, Tensor relevance)
    {
        var fused = AttentionFlow.Fuse(context.Activations[layer], Options.HeadFusion);
        return AttentionFlow.RolloutStep(AttentionFlow.Discard(fused, Options.DiscardRatio, keepClassToken: true), relevance);
    }
}
