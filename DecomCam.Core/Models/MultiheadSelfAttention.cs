using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DecomCamNet.Models;

/// <summary>
/// Batch-first multi-head self-attention stored as PyTorch's <c>nn.MultiheadAttention</c> stores it (torchvision ViT's
/// <c>self_attention</c>): <c>in_proj_weight</c> [3 width, width] and <c>in_proj_bias</c> [3 width] (query, key, value
/// rows in that order) and <c>out_proj</c>. Input and output are <c>[N, T, width]</c>.
/// </summary>
/// <remarks>
/// The attention is computed explicitly, <c>P = softmax(Q K^T / sqrt(head width))</c>, then <c>P V</c>, and <c>P</c>
/// [N, heads, T, T] passes through the child <c>attn_probs</c> (<see cref="AttentionProbabilities"/>): hook it to read
/// the probabilities or take gradients with respect to them. Double backward works (no fused kernel).
/// </remarks>
public sealed class MultiheadSelfAttention : nn.Module<Tensor, Tensor>
{
    private readonly Parameter in_proj_weight;
    private readonly Parameter in_proj_bias;
    private readonly nn.Module<Tensor, Tensor> out_proj;
    private readonly AttentionProbabilities attn_probs;
    private readonly long _width;
    private readonly long _heads;

    /// <summary>Creates the layer with PyTorch's initialisation (Xavier-uniform projections, zero biases).</summary>
    /// <param name="width">Embedding width; must be divisible by <paramref name="heads"/>.</param>
    /// <param name="heads">Number of attention heads.</param>
    /// <param name="device">Where to allocate the parameters (default: TorchSharp's default device).</param>
    /// <exception cref="ArgumentException">The width is not divisible by the number of heads.</exception>
    public MultiheadSelfAttention(long width, long heads, Device? device = null)
        : base("MultiheadAttention")
    {
        if (heads < 1 || width < 1 || width % heads != 0)
            throw new ArgumentException($"Width {width} is not divisible by {heads} heads.", nameof(heads));
        _width = width;
        _heads = heads;
        in_proj_weight = nn.Parameter(empty(3 * width, width, device: device));
        in_proj_bias = nn.Parameter(zeros(3 * width, device: device));
        out_proj = nn.Linear(width, width, device: device);
        attn_probs = new AttentionProbabilities();
        RegisterComponents();
        if (in_proj_weight.device_type != DeviceType.META)
            nn.init.xavier_uniform_(in_proj_weight);
    }

    /// <summary>Number of attention heads.</summary>
    public long Heads => _heads;

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        if (input.ndim != 3 || input.shape[2] != _width)
            throw new ArgumentException(
                $"Expected batch-first tokens [N, T, {_width}], got [{string.Join(", ", input.shape)}].", nameof(input));
        long batch = input.shape[0], length = input.shape[1], headWidth = _width / _heads;
        // Temporaries are disposed here, not by a dispose scope of this method, which would also free what hooks keep.
        using var projected = nn.functional.linear(input, in_proj_weight, in_proj_bias);
        using var qkv = projected.view(batch, length, 3, _heads, headWidth).permute(2, 0, 3, 1, 4); // [3, N, heads, T, d]
        using var q = qkv[0];
        using var k = qkv[1];
        using var v = qkv[2];
        using var scale = (1.0 / Math.Sqrt(headWidth)).ToScalar();
        using var scaled = q.mul(scale);
        using var keysT = k.transpose(-2, -1);
        using var logits = scaled.matmul(keysT);
        using var probabilities = logits.softmax(-1);
        var recorded = attn_probs.call(probabilities); // a module's output: hooks keep an alias of it
        using var attended = recorded.matmul(v);                                  // [N, heads, T, d]
        IntermediateRelease.For(probabilities).Release(recorded, probabilities); // without gradients, freed once read
        using var tokensFirst = attended.transpose(1, 2);
        using var merged = tokensFirst.reshape(batch, length, _width);
        return out_proj.call(merged);
    }
}
