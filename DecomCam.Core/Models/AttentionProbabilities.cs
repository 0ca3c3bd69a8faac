using static TorchSharp.torch;

namespace DecomCamNet.Models;

/// <summary>
/// An identity module on an attention's post-softmax probabilities [N, heads, T, T] (query rows, key columns): attention
/// modules apply it to their softmax output so that forward hooks record the probabilities and gradients reach them.
/// Register it as a submodule named <c>attn_probs</c> (<see cref="ConventionalName"/>); the zoo's transformers
/// (<see cref="MultiheadSelfAttention"/>, <see cref="ShiftedWindowAttention"/>: e.g.
/// <c>encoder.layers.encoder_layer_11.self_attention.attn_probs</c>, <c>features.7.1.attn.attn_probs</c>) and CLIP's
/// ViT do, and the attention methods (rollout, gradient rollout, Chefer relevance, LeGrad) find every such module in
/// forward order (<see cref="AttentionLayers.Find"/>).
/// </summary>
/// <remarks>
/// Its input is <c>softmax(Q K^T / sqrt(head width) + bias)</c> computed with explicit matrix products (not a fused
/// attention kernel), so gradients of any score with respect to the recorded tensor, and second derivatives, flow
/// through it: the output is a view of the input that the attention goes on to use.
/// </remarks>
public sealed class AttentionProbabilities : nn.Module<Tensor, Tensor>
{
    /// <summary>The conventional submodule name: <c>attn_probs</c>.</summary>
    public const string ConventionalName = "attn_probs";

    /// <summary>Creates the module.</summary>
    public AttentionProbabilities()
        : base(nameof(AttentionProbabilities))
    {
    }

    /// <summary>A view of <paramref name="probabilities"/> (a handle of its own, so that freeing one leaves the other).</summary>
    public override Tensor forward(Tensor probabilities) => probabilities.alias();
}
