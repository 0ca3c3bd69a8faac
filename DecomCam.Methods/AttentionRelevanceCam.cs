using DecomCamNet.Cam;
using DecomCamNet.Models;
using DecomCamNet.Native;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace DecomCamNet;

/// <summary>
/// The attention methods that propagate a token relevance matrix R [T, T] through the blocks, from R = I: each layer
/// l, in forward order, updates R from its attention probabilities A_l [heads, T, T] (and their gradients), and the map
/// is the class token's row of the final R over the patch tokens, on the patch grid. The layers are every
/// <see cref="AttentionProbabilities"/> module of the model (<see cref="AttentionLayers.Find"/>); target layers given
/// are ignored (with a logged notice). <see cref="CamResult.RawMaps"/> holds, per attention layer, the class token's
/// row of R after that layer; the final map is the last one's (ReLU, min-max, bilinear resize). Any target applies,
/// box targets of a detector whose head reads the patch tokens included: the gradient methods then see the box score
/// through what the class token attends to in the blocks before the last (the later patch tokens attend to it), and
/// refuse a row whose score reaches the attention but never the class token's row (a one-block such detector).
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
        if (layer == 0 && context.Gradients is { } gradients) CheckTheClassTokenIsRead(gradients);
        // The template computes the layers in order within a call; layer 0 starts from the identity, and the last one
        // lets go of the call's relevance.
        var before = layer == 0 ? AttentionFlow.Identity(context.Activations[layer]) : _relevance!;
        var after = Propagate(context, layer, before);
        _relevance = layer == LayerNames.Count - 1 ? null : after;
        return new LayerMap(AttentionFlow.ClassTokenMap(after, Options, LayerNames[layer]));
    }

    /// <summary>
    /// Refuses rows whose score reaches the attention but no block's class-token row: the map is the class token's row
    /// of R, and a gradient method's R has nothing in that row then (a one-block detector whose head reads the patch
    /// tokens).
    /// </summary>
    /// <exception cref="CamException">A row's gradients are zero on the class token's query row in every block and not
    /// elsewhere.</exception>
    private void CheckTheClassTokenIsRead(IReadOnlyList<Tensor> gradients)
    {
        using var scope = NewDisposeScope();
        // Per row [M]: the largest gradient on the class token's attention to any key, and on any attention, over heads
        // and blocks. A row without any gradient (a box that matched no prediction) just gets an empty map.
        var classRow = stack(gradients.Select(g => g.select(2, 0).abs().amax(new long[] { 1, 2 })).ToArray(), 1).amax(new long[] { 1 });
        var anywhere = stack(gradients.Select(g => g.abs().amax(new long[] { 1, 2, 3 })).ToArray(), 1).amax(new long[] { 1 });
        using var unread = classRow.eq(CachedScalars.Zero).logical_and(anywhere.gt(CachedScalars.Zero)).any();
        if (unread.item<bool>())
            throw new CamException($"{Name} maps the class token's relevance, but the target's score does not depend on what the class " +
                "token attends to in any block (its gradients there are all zero): the model's output does not read the class token " +
                "(a detector whose head reads the patch tokens, with one block). Attention rollout ignores the target; LeGrad scores " +
                $"each block's own tokens where the model implements {nameof(ITokenClassifier)}.");
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
