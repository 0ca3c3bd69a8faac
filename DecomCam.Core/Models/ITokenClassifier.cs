using static TorchSharp.torch;

namespace DecomCamNet.Models;

/// <summary>
/// A transformer that can score any block's tokens as it scores its last block's: for a classifier the block's class
/// token through the model's final norm and head; for a detector whose head reads the patch tokens, those tokens through
/// the norm and head, giving the detector's output layout (LeGrad explains each block by the target's score of that
/// output, a box target included). CLIP's ViT and the zoo ViT implement it.
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
    /// the last block's (a classifier: its class token through the final norm and head), shaped as the model's output.
    /// Differentiable.
    /// </summary>
    Tensor ClassifyTokens(Tensor blockOutput);
}
