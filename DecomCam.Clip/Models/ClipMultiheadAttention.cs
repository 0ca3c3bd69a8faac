using DecomCamNet.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DecomCamNet.Clip.Models;

/// <summary>
/// Multi-head self-attention laid out as PyTorch's <c>nn.MultiheadAttention</c> stores it, so its state-dict keys are
/// PyTorch's: <c>in_proj_weight</c> [3 width, width] and <c>in_proj_bias</c> [3 width] (query, key, value rows in that
/// order) and <c>out_proj</c> (a linear layer). Sequence-first: input and output are [L, N, width].
/// </summary>
/// <remarks>
/// TorchSharp's own <c>nn.MultiheadAttention</c> is a native module whose forward takes four tensors and returns a
/// tuple, so it cannot sit in a single-tensor block. The full attention (the image encoder) is computed explicitly,
/// softmax(Q Kᵀ / sqrt(head width)) → <c>attn_probs</c> → · V, so that the attention methods read the probabilities
/// [N, heads, L, L] from its <see cref="AttentionProbabilities"/> submodule and gradients reach them (and it has a
/// double backward). With <c>causal</c> (CLIP's text encoder, where nothing needs the probabilities), position i
/// attends to positions 0..i only through <c>scaled_dot_product_attention</c>, which applies the mask itself.
/// </remarks>
public sealed class ClipMultiheadAttention : nn.Module<Tensor, Tensor>
{
    private readonly Parameter in_proj_weight;
    private readonly Parameter in_proj_bias;
    private readonly nn.Module<Tensor, Tensor> out_proj;
    private readonly AttentionProbabilities? attn_probs; // full attention only: a causal one never calls it
    private readonly long _width;
    private readonly long _heads;
    private readonly bool _causal;

    /// <summary>Creates the layer; projections are drawn from N(0, width^-0.5), biases are 0.</summary>
    /// <param name="width">Embedding width; must be divisible by <paramref name="heads"/>.</param>
    /// <param name="heads">Number of attention heads.</param>
    /// <param name="causal">Whether each position attends only to itself and earlier positions.</param>
    /// <param name="device">Where to allocate the parameters (default: TorchSharp's default device).</param>
    public ClipMultiheadAttention(long width, long heads, bool causal, Device? device = null)
        : base("MultiheadAttention")
    {
        if (heads < 1 || width % heads != 0)
            throw new ArgumentException($"Width {width} is not divisible by {heads} heads.", nameof(heads));
        _width = width;
        _heads = heads;
        _causal = causal;
        in_proj_weight = nn.Parameter(empty(3 * width, width, device: device).normal_(0, Math.Pow(width, -0.5)));
        in_proj_bias = nn.Parameter(zeros(3 * width, device: device));
        out_proj = nn.Linear(width, width, device: device);
        attn_probs = causal ? null : new AttentionProbabilities();
        RegisterComponents();
    }

    /// <summary>Number of attention heads.</summary>
    public long Heads => _heads;

    /// <summary>Whether the attention is causal (text encoder) or full (image encoder).</summary>
    public bool Causal => _causal;

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        if (input.ndim != 3 || input.shape[2] != _width)
            throw new ArgumentException(
                $"Expected a sequence-first [L, N, {_width}] tensor, got [{string.Join(", ", input.shape)}].", nameof(input));
        long length = input.shape[0], batch = input.shape[1];
        // Temporaries are disposed here rather than in a dispose scope of this method: a scope would also dispose what
        // a forward hook on out_proj keeps. [L, N, 3W] -> [3, N, heads, L, head width]; q, k and v are views into it.
        using var projected = nn.functional.linear(input, in_proj_weight, in_proj_bias);
        using var qkv = projected.view(length, batch, 3, _heads, _width / _heads).permute(2, 1, 3, 0, 4);
        using var q = qkv[0];
        using var k = qkv[1];
        using var v = qkv[2];
        using var attended = _causal ? nn.functional.scaled_dot_product_attention(q, k, v, is_casual: true) : Attend(q, k, v);
        using var sequenceFirst = attended.permute(2, 0, 1, 3);                   // [L, N, heads, head width]
        using var merged = sequenceFirst.reshape(length, batch, _width);
        return out_proj.call(merged);
    }

    /// <summary>softmax(Q Kᵀ · scale) through <c>attn_probs</c>, times V; [N, heads, L, head width] each.</summary>
    private Tensor Attend(Tensor q, Tensor k, Tensor v)
    {
        using var scale = (1.0 / Math.Sqrt(_width / _heads)).ToScalar();
        using var kt = k.transpose(-2, -1);
        using var logits = q.matmul(kt).mul_(scale);
        using var probabilities = logits.softmax(-1);
        // attn_probs returns a handle of its own (or a hook's tensor): without gradients it is freed once read, as the
        // zoo's intermediates are (IntermediateRelease); a hook that keeps it keeps an alias.
        var release = IntermediateRelease.For(probabilities);
        var exposed = attn_probs!.call(probabilities);
        var attended = exposed.matmul(v);
        release.Release(exposed, probabilities);
        return attended;
    }
}
