using static TorchSharp.torch;

namespace DecomCamNet.Models;

/// <summary>Finds the attention probabilities a model exposes (<see cref="AttentionProbabilities"/>).</summary>
public static class AttentionLayers
{
    /// <summary>
    /// The dotted names of every <see cref="AttentionProbabilities"/> submodule of <paramref name="model"/>, in the order
    /// the modules were registered (forward order for a stack of blocks).
    /// </summary>
    /// <exception cref="ArgumentException">The model has none: its attention modules do not follow the convention.</exception>
    public static IReadOnlyList<string> Find(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var names = model.named_modules().Where(m => m.module is AttentionProbabilities).Select(m => m.name).ToArray();
        if (names.Length == 0)
            throw new ArgumentException($"The model ({model.GetType().Name}) exposes no attention probabilities: attention methods need " +
                $"each attention module to pass its post-softmax probabilities [N, heads, T, T] through an {nameof(AttentionProbabilities)} " +
                $"submodule named '{AttentionProbabilities.ConventionalName}'.", nameof(model));
        return names;
    }
}
