using DecomCamNet.Models;
using DecomCamNet.Native;
using static TorchSharp.torch;

namespace DecomCamNet.Clip.Models;

/// <summary>
/// A pre-norm transformer block with CLIP's module names: <c>x + attn(ln_1(x))</c>, then <c>x + mlp(ln_2(x))</c>
/// (<c>mlp.c_fc</c>, <c>mlp.gelu</c>, <c>mlp.c_proj</c>). Sequence-first: [L, N, width] in and out, so a forward hook
/// on <c>ln_1</c> sees [L, N, width].
/// </summary>
public sealed class ResidualAttentionBlock : nn.Module<Tensor, Tensor>
{
    private readonly ClipMultiheadAttention attn;
    private readonly ClipLayerNorm ln_1;
    private readonly ClipMlp mlp;
    private readonly ClipLayerNorm ln_2;

    /// <summary>Creates the block.</summary>
    /// <param name="width">Embedding width.</param>
    /// <param name="heads">Attention heads.</param>
    /// <param name="causal">Whether attention is causal (the text encoder).</param>
    /// <param name="device">Where to allocate the parameters (default: TorchSharp's default device).</param>
    public ResidualAttentionBlock(long width, long heads, bool causal, Device? device = null)
        : base(nameof(ResidualAttentionBlock))
    {
        attn = new ClipMultiheadAttention(width, heads, causal, device);
        ln_1 = new ClipLayerNorm(width, device);
        mlp = new ClipMlp(width, device);
        ln_2 = new ClipLayerNorm(width, device);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        var free = IntermediateRelease.For(input);
        var attended = free.Then(ln_1.call(input), attn);
        // x is no module's output (so no hook holds it): it is freed here rather than by the caller's dispose scope.
        using var x = input.add(attended, CachedScalars.One);
        free.Release(attended);
        var transformed = free.Then(ln_2.call(x), mlp);
        var result = x.add(transformed, CachedScalars.One);
        free.Release(transformed);
        return result;
    }
}
