using static TorchSharp.torch;

namespace DecomCamNet.Models;

/// <summary>
/// A transformer that can score any block's tokens as it scores its last block's: the block's class token through the
/// model's final norm and head (LeGrad explains each block by that score). CLIP's ViT implements it.
/// </summary>
public interface ITokenClassifier
{
    /// <summary>
    /// The dotted names of the blocks whose outputs are the token streams, in forward order: one per attention layer
    /// (<see cref="AttentionLayers.Find"/>), the block that holds it.
    /// </summary>
    IReadOnlyList<string> TokenBlocks { get; }

    /// <summary>
    /// What the model outputs when <paramref name="blockOutput"/> (a block's output, in the blocks' layout) is taken as
    /// the last block's: its class token through the final norm and head. Differentiable.
    /// </summary>
    Tensor ClassifyTokens(Tensor blockOutput);
}
