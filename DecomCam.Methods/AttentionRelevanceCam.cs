using DecomCamNet.Cam;
using DecomCamNet.Models;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace DecomCamNet;

/// <summary>
/// The attention methods that propagate a token relevance matrix R [T, T] through the blocks, from R = I: each layer
/// l, in forward order, updates R from its attention probabilities A_l [heads, T, T] (and their gradients), and the map
/// is the class token's row of the final R over the patch tokens, on the patch grid. The layers are every
/// <see cref="AttentionProbabilities"/> module of the model (<see cref="AttentionLayers.Find"/>); target layers given
/// are ignored (with a logged notice). <see cref="CamResult.RawMaps"/> holds, per attention layer, the class token's
/// row of R after that layer; the final map is the last one's (ReLU, min-max, bilinear resize).
/// </summary>
public abstract class AttentionRelevanceCam : CamMethod
{
    private Tensor? _relevance;

    /// <summary>Binds the method to every attention layer of <paramref name="model"/>.</summary>
    /// <exception cref="ArgumentException">The model exposes no attention probabilities.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    protected AttentionRelevanceCam(nn.Module<Tensor, Tensor> model, IReadOnlyList<CamLayer>? ignoredLayers, RolloutOptions options, ILogger? logger)
        : base(model, AttentionCamLayers(model, options), logger)
    {
        Options = options;
        if (ignoredLayers is { Count: > 0 })
            Logger.LogInformation("{Method} reads all {Count} attention layers; the target layer(s) {Layers} are ignored.",
                Name, LayerNames.Count, string.Join(", ", ignoredLayers));
    }

    /// <summary>The method's settings.</summary>
    public RolloutOptions Options { get; }

    /// <inheritdoc />
    /// <remarks>The map is a token relevance, not a weighted channel sum: eigen smoothing does not apply.</remarks>
    protected override LayerMapKind MapKind => LayerMapKind.Other;

    /// <summary>
    /// The relevance after layer <paramref name="layer"/>, from <paramref name="relevance"/> [M, T, T] before it and the
    /// layer's attention probabilities (<see cref="CamContext.Activations"/>, [M, heads, T, T]) and, for a gradient
    /// method, their gradients (<see cref="CamContext.Gradients"/>).
    /// </summary>
    protected abstract Tensor Propagate(CamContext context, int layer, Tensor relevance);

    /// <inheritdoc />
    protected sealed override LayerMap ComputeLayerMap(CamContext context, int layer)
    {
        ArgumentNullException.ThrowIfNull(context);
        // The template computes the layers in order within a call; layer 0 starts from the identity, and the last one
        // lets go of the call's relevance.
        var before = layer == 0 ? AttentionFlow.Identity(context.Activations[layer]) : _relevance!;
        var after = Propagate(context, layer, before);
        _relevance = layer == LayerNames.Count - 1 ? null : after;
        return new LayerMap(AttentionFlow.ClassTokenMap(after, Options, LayerNames[layer]));
    }

    /// <summary>Checks <paramref name="options"/> (before any hook is registered) and finds the attention layers.</summary>
    internal static CamLayer[] AttentionCamLayers(nn.Module model, RolloutOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validated();
        return AttentionLayers.Find(model).Select(n => (CamLayer)n).ToArray();
    }

    /// <inheritdoc />
    protected override Tensor Combine(CamContext context, IReadOnlyList<Tensor> raws) =>
        CamKernels.Resize(CamKernels.ReluNormalize(raws[^1]), context.Height, context.Width);
}
