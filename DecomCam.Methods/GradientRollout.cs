using DecomCamNet.Cam;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace DecomCamNet;

/// <summary>
/// Gradient attention rollout, as jacobgil/vit-explain's <c>grad_rollout</c>: per layer the attention probabilities
/// are weighted by the gradient of the target score with respect to them and averaged over heads, with negative results
/// set to zero, Ā = ReLU(mean_h(A_h ⊙ ∂y/∂A_h)); then as <see cref="AttentionRollout"/>: the
/// ⌊T²·<see cref="RolloutOptions.DiscardRatio"/>⌋ lowest entries set to zero (the class token's own entry included, as
/// in vit-explain), a = (Ā + I)/2 with rows renormalised, R ← a · R from R = I, and the class token's row of R over
/// the patch tokens as the map. <see cref="RolloutOptions.HeadFusion"/> does not apply. Each block's probabilities are
/// weighted by their own gradient: vit-explain's <c>VITAttentionGradRollout</c> hooks record the gradient with respect to
/// the attention logits instead, last block first, and pair them with the blocks in forward order (README, "Transformer
/// methods"). Needs a model whose attention follows the <see cref="Models.AttentionProbabilities"/> convention.
/// </summary>
public sealed class GradientRollout : AttentionRelevanceCam
{
    /// <summary>Gradient rollout over every attention layer of <paramref name="model"/>; <paramref name="ignoredLayers"/> are logged and not used.</summary>
    /// <exception cref="ArgumentException">The model exposes no attention probabilities.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public GradientRollout(nn.Module<Tensor, Tensor> model, RolloutOptions? options = null, IReadOnlyList<CamLayer>? ignoredLayers = null, ILogger? logger = null)
        : base(model, ignoredLayers, options ?? new RolloutOptions(), logger)
    {
    }

    /// <inheritdoc />
    public override string Name => "gradrollout";

    /// <inheritdoc />
    protected override Tensor Propagate(CamContext context, int layer, Tensor relevance)
    {
        var weighted = nn.functional.relu(context.Activations[layer].mul(context.Gradients![layer]).mean(new long[] { 1 }));
        return AttentionFlow.RolloutStep(AttentionFlow.Discard(weighted, Options.DiscardRatio, keepClassToken: false), relevance);
    }
}
