using DecomCamNet.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet;

/// <summary>
/// The matrix steps the attention methods share, on batches of attention probabilities [M, heads, T, T] (query rows,
/// key columns) and relevance matrices [M, T, T].
/// </summary>
internal static class AttentionFlow
{
    /// <summary>The identity relevance I [M, T, T] of <paramref name="attention"/>'s tokens.</summary>
    public static Tensor Identity(Tensor attention)
    {
        long m = attention.shape[0], t = attention.shape[^1];
        return eye(t, dtype: attention.dtype, device: attention.device).expand(m, t, t).contiguous();
    }

    /// <summary>The heads fused into one [M, T, T] matrix.</summary>
    public static Tensor Fuse(Tensor attention, AttentionHeadFusion fusion) => fusion switch
    {
        AttentionHeadFusion.Mean => attention.mean(new long[] { 1 }),
        AttentionHeadFusion.Max => attention.amax(new long[] { 1 }),
        AttentionHeadFusion.Min => attention.amin(new long[] { 1 }),
        _ => throw new ArgumentOutOfRangeException(nameof(fusion), fusion, "Unknown head fusion."),
    };

    /// <summary>
    /// <paramref name="fused"/> [M, T, T] with the ⌊T²·ratio⌋ lowest entries of each row's matrix set to zero; with
    /// <paramref name="keepClassToken"/> the class token's own entry [0, 0] is kept even when it is among them (so one
    /// fewer is zeroed then), as vit-explain's <c>rollout</c> does (its <c>grad_rollout</c> does not keep it).
    /// </summary>
    public static Tensor Discard(Tensor fused, double ratio, bool keepClassToken)
    {
        long m = fused.shape[0], count = fused.shape[1] * fused.shape[2];
        long k = (long)(count * ratio);
        if (k == 0) return fused;
        var flat = fused.reshape(m, count);
        var lowest = flat.topk((int)k, dim: 1, largest: false).indexes;
        var drop = zeros(m, count, dtype: ScalarType.Bool, device: fused.device).scatter_(1, lowest, ones_like(lowest, dtype: ScalarType.Bool));
        if (keepClassToken) drop[TensorIndex.Colon, TensorIndex.Single(0)] = zeros(m, dtype: ScalarType.Bool, device: fused.device);
        return flat.masked_fill(drop, CachedScalars.Zero).reshape(fused.shape);
    }

    /// <summary>One rollout step: a = (fused + I) / 2 with rows renormalised to sum 1, then a · <paramref name="relevance"/>.</summary>
    public static Tensor RolloutStep(Tensor fused, Tensor relevance)
    {
        var a = fused.add(Identity(fused.unsqueeze(1)), CachedScalars.One);
        a = a.div(a.sum(new long[] { -1 }, keepdim: true));
        return a.matmul(relevance);
    }

    /// <summary>
    /// The first (class) token's row of <paramref name="relevance"/> [M, T, T] over the patch tokens, on the patch grid
    /// [M, h, w] (row-major; square unless the options give the grid).
    /// </summary>
    /// <exception cref="CamException">The patch tokens do not fill the grid.</exception>
    public static Tensor ClassTokenMap(Tensor relevance, RolloutOptions options, string layer) => TokenMap(relevance.select(1, 0), options, layer);

    /// <summary>
    /// One value per token [M, T] as a map of the patch tokens [M, h, w] (the prefix tokens dropped; row-major; square
    /// unless the options give the grid).
    /// </summary>
    /// <exception cref="CamException">The patch tokens do not fill the grid.</exception>
    public static Tensor TokenMap(Tensor perToken, RolloutOptions options, string layer)
    {
        var tokens = perToken.unsqueeze(-1); // [M, T, 1]: one channel per token
        var reshape = new ActivationReshape(ActivationLayout.Tokens, options.PrefixTokens, options.GridHeight, options.GridWidth);
        return reshape.ToFeatureMap(tokens, tokens.shape[0], layer).squeeze(1);
    }
}
