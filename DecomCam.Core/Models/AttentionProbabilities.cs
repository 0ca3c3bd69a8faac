using static TorchSharp.torch;

namespace DecomCamNet.Models;

/// <summary>
/// The identity module through which every attention layer of the zoo's transformers (<see cref="MultiheadSelfAttention"/>,
/// <see cref="ShiftedWindowAttention"/>) passes its attention probabilities, registered as the child <c>attn_probs</c>
/// (<c>encoder.layers.encoder_layer_11.self_attention.attn_probs</c>, <c>features.7.1.attn.attn_probs</c>).
/// </summary>
/// <remarks>
/// Its input is <c>softmax(Q K^T / sqrt(head width) + bias)</c> over the keys, computed with explicit matrix products (not a
/// fused attention kernel), so a forward hook on this module records the probabilities <c>[N', heads, T, T]</c> (rows are
/// queries, each summing to 1), and gradients of any score with respect to the recorded tensor, and second derivatives,
/// flow through it: the output is a view of the input that the attention goes on to use.
/// </remarks>
public sealed class AttentionProbabilities : nn.Module<Tensor, Tensor>
{
    /// <summary>Creates the module.</summary>
    public AttentionProbabilities()
        : base(nameof(AttentionProbabilities))
    {
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input) => input.alias();
}
