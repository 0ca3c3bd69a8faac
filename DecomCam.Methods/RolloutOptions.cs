namespace DecomCamNet;

/// <summary>
/// Settings of the attention methods (<see cref="AttentionRollout"/>, <see cref="GradientRollout"/>,
/// <see cref="CheferRelevance"/>, <see cref="LeGrad"/>): how heads are fused and how many of the lowest attentions are
/// discarded (the rollouts), and how the tokens lie on the patch grid (all).
/// </summary>
/// <param name="HeadFusion">Attention rollout's fusion of the heads; default mean (jacobgil/vit-explain's default).</param>
/// <param name="DiscardRatio">The share of each layer's fused attention entries, lowest first, set to zero before the
/// identity is added (the rollouts); in [0, 1), default 0.9 (vit-explain's default).</param>
/// <param name="PrefixTokens">Tokens before the patches (the class token; two for distilled models); the map is the
/// class token's (the first token's) relevance to the patch tokens; default 1.</param>
/// <param name="GridHeight">The patch grid's height; null (with <paramref name="GridWidth"/>): the square root of the patch count.</param>
/// <param name="GridWidth">The patch grid's width; null: square.</param>
public sealed record RolloutOptions(AttentionHeadFusion HeadFusion = AttentionHeadFusion.Mean, double DiscardRatio = 0.9,
    int PrefixTokens = 1, int? GridHeight = null, int? GridWidth = null)
{
    /// <summary>These options, checked.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The discard ratio is outside [0, 1), the prefix count is below 1, or
    /// only one grid side is given, or a side is below 1.</exception>
    internal RolloutOptions Validated()
    {
        if (!(DiscardRatio >= 0 && DiscardRatio < 1))
            throw new ArgumentOutOfRangeException(nameof(DiscardRatio), DiscardRatio, "The discard ratio must be in [0, 1).");
        if (PrefixTokens < 1)
            throw new ArgumentOutOfRangeException(nameof(PrefixTokens), PrefixTokens, "The attention methods read the class token's row: at least one prefix token is needed.");
        if ((GridHeight is null) != (GridWidth is null) || GridHeight < 1 || GridWidth < 1)
            throw new ArgumentOutOfRangeException(nameof(GridHeight), $"{GridHeight}x{GridWidth}", "Give both grid sides (each at least 1) or neither.");
        return this;
    }
}
