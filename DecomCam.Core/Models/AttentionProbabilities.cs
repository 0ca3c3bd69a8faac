using static TorchSharp.torch;

namespace DecomCamNet.Models;

/// <summary>
/// An identity module on an attention's post-softmax probabilities [N, heads, T, T] (query rows, key columns): attention
/// modules apply it to their softmax output so that forward hooks record the probabilities and gradients reach them.
/// Register it as a submodule named <c>attn_probs</c>; the attention methods (rollout, gradient rollout, Chefer
/// relevance, LeGrad) find every such module in forward order (<see cref="AttentionLayers.Find"/>).
/// </summary>
public sealed class AttentionProbabilities : nn.Module<Tensor, Tensor>
{
    /// <summary>The conventional submodule name: <c>attn_probs</c>.</summary>
    public const string ConventionalName = "attn_probs";

    /// <summary>Creates the module.</summary>
    public AttentionProbabilities() : base(nameof(AttentionProbabilities)) { }

    /// <summary>Returns <paramref name="probabilities"/> itself.</summary>
    public override Tensor forward(Tensor probabilities) => probabilities;
}
