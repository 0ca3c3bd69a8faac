using DecomCamNet.Models;
using static TorchSharp.torch;

namespace DecomCamNet;

/// <summary>
/// <see cref="ITokenClassifier"/> for a batch-first ViT given by the names of its final norm and head
/// (<see cref="LeGradOptions"/>): a block's tokens [N, T, C] are scored as head(norm(tokens[:, 0])).
/// </summary>
internal sealed class NamedTokenClassifier : ITokenClassifier
{
    private readonly nn.Module<Tensor, Tensor> _norm;
    private readonly nn.Module<Tensor, Tensor> _head;

    /// <exception cref="ArgumentException">A name is not in the model, only one of norm and head is given, or the block
    /// count differs from the attention layers'.</exception>
    public NamedTokenClassifier(nn.Module model, LeGradOptions options, IReadOnlyList<string> attentionLayers)
    {
        if (options.FinalNorm is null || options.Head is null)
            throw new ArgumentException("LeGrad needs both the final norm's and the head's names.", nameof(options));
        _norm = ((CamLayer)options.FinalNorm).Resolve(model).Module;
        _head = ((CamLayer)options.Head).Resolve(model).Module;
        TokenBlocks = options.Blocks ?? attentionLayers.Select(BlockOf).ToArray();
        if (TokenBlocks.Count != attentionLayers.Count)
            throw new ArgumentException($"LeGrad needs one block per attention layer: {TokenBlocks.Count} blocks for {attentionLayers.Count} attention layers.", nameof(options));
        foreach (var block in TokenBlocks) ((CamLayer)block).Resolve(model);
    }

    /// <inheritdoc />
    public IReadOnlyList<string> TokenBlocks { get; }

    /// <inheritdoc />
    public Tensor ClassifyTokens(Tensor blockOutput)
    {
        if (blockOutput.dim() != 3)
            throw new CamException($"LeGrad scores a block's batch-first tokens [N, T, C]; the block produced [{string.Join(",", blockOutput.shape)}].");
        return _head.call(_norm.call(blockOutput.select(1, 0)));
    }

    /// <summary>The module two levels above an attention layer (<c>blocks.3.attn.attn_probs</c> → <c>blocks.3</c>).</summary>
    private static string BlockOf(string attentionLayer)
    {
        var parts = attentionLayer.Split('.');
        if (parts.Length < 3)
            throw new ArgumentException($"The block of attention layer '{attentionLayer}' cannot be inferred (it is not two levels inside one); name the blocks.", "options");
        return string.Join('.', parts[..^2]);
    }
}
