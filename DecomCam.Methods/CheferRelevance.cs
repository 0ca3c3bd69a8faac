using DecomCamNet.Cam;
using DecomCamNet.Native;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace DecomCamNet;

/// <summary>
/// Chefer relevance (Chefer, Gur and Wolf, 2021, "Generic Attention-model Explainability for Interpreting Bi-Modal and
/// Encoder-Decoder Transformers", the self-attention rule): from R = I, per layer
/// R ← R + Ā · R with Ā = mean_h ReLU(∂y/∂A_h ⊙ A_h), the positive part of the gradient-weighted attention averaged
/// over heads; the map is the class token's row of R over the patch tokens. Only
/// <see cref="RolloutOptions.PrefixTokens"/> and the grid of <see cref="RolloutOptions"/> apply. Needs a model whose
/// attention follows the <see cref="Models.AttentionProbabilities"/> convention.
/// </summary>
public sealed class CheferRelevance : AttentionRelevanceCam
{
    /// <summary>Chefer relevance over every attention layer of <paramref name="model"/>; <paramref name="ignoredLayers"/> are logged and not used.</summary>
    /// <exception cref="ArgumentException">The model exposes no attention probabilities.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public CheferRelevance(nn.Module<Tensor, Tensor> model, RolloutOptions? options = null, IReadOnlyList<CamLayer>? ignoredLayers = null, ILogger? logger = null)
        : base(model, ignoredLayers, options ?? new RolloutOptions(), logger)
    {
    }

    /// <inheritdoc />
    public override string Name => "chefer";

    /// <inheritdoc />
    protected override Tensor Propagate(CamContext context, int layer, Tensor relevance)
    {
        var weighted = nn.functional.relu(context.Gradients![layer].mul(context.Activations[layer])).mean(new long[] { 1 });
        return relevance.add(weighted.matmul(relevance), CachedScalars.One);
    }
}
