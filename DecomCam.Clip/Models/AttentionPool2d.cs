using DecomCamNet.Models;
using DecomCamNet.Native;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DecomCamNet.Clip.Models;

/// <summary>
/// CLIP's attention pooling (<c>attnpool</c> of a <see cref="ModifiedResNet"/>): the feature map [N, C, h, w] becomes
/// h*w tokens, the mean token is prepended, a learned <c>positional_embedding</c> [h*w + 1, C] is added, and one
/// multi-head attention step with the mean token as the only query (<c>q_proj</c>, <c>k_proj</c>, <c>v_proj</c>,
/// output <c>c_proj</c>) gives the image embedding [N, output_dim].
/// </summary>
public sealed class AttentionPool2d : nn.Module<Tensor, Tensor>
{
    private readonly Parameter positional_embedding;
    private readonly nn.Module<Tensor, Tensor> k_proj;
    private readonly nn.Module<Tensor, Tensor> q_proj;
    private readonly nn.Module<Tensor, Tensor> v_proj;
    private readonly nn.Module<Tensor, Tensor> c_proj;
    private readonly long _grid;
    private readonly long _width;
    private readonly long _heads;

    /// <summary>Creates the layer with CLIP's initialisation (normal, std width^-0.5).</summary>
    /// <param name="grid">Side of the square feature map it pools (image resolution / 32).</param>
    /// <param name="width">Channels of the feature map.</param>
    /// <param name="heads">Attention heads; must divide <paramref name="width"/>.</param>
    /// <param name="outputDim">Width of the result.</param>
    /// <param name="device">Where to allocate the parameters (default: TorchSharp's default device).</param>
    public AttentionPool2d(long grid, long width, long heads, long outputDim, Device? device = null)
        : base(nameof(AttentionPool2d))
    {
        if (heads < 1 || width % heads != 0)
            throw new ArgumentException($"Width {width} is not divisible by {heads} heads.", nameof(heads));
        _grid = grid;
        _width = width;
        _heads = heads;
        double std = Math.Pow(width, -0.5);
        positional_embedding = nn.Parameter(empty(grid * grid + 1, width, device: device).normal_(0, std));
        k_proj = nn.Linear(width, width, device: device);
        q_proj = nn.Linear(width, width, device: device);
        v_proj = nn.Linear(width, width, device: device);
        c_proj = nn.Linear(width, outputDim, device: device);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        if (input.ndim != 4 || input.shape[1] != _width || input.shape[2] != _grid || input.shape[3] != _grid)
            throw new ArgumentException(
                $"attnpool expects [N, {_width}, {_grid}, {_grid}], got [{string.Join(", ", input.shape)}].", nameof(input));
        long batch = input.shape[0], head = _width / _heads;
        // Temporaries are disposed one by one: a dispose scope here would also dispose what hooks on the projections keep.
        var free = IntermediateRelease.For(input);
        using var flat = input.flatten(2);
        using var tokens = flat.permute(2, 0, 1);                                        // [hw, N, C]
        using var mean = tokens.mean(new long[] { 0 }, keepdim: true);
        using var position = positional_embedding.unsqueeze(1);
        using var x = cat(new[] { mean, tokens }, 0).add_(position, CachedScalars.One);                     // [hw + 1, N, C]
        long length = x.shape[0];
        using var first = x.narrow(0, 0, 1);
        using var q = SplitHeads(free, q_proj.call(first), 1, batch, head);                   // [N, heads, 1, d]
        using var k = SplitHeads(free, k_proj.call(x), length, batch, head);                  // [N, heads, L, d]
        using var v = SplitHeads(free, v_proj.call(x), length, batch, head);
        using var attended = nn.functional.scaled_dot_product_attention(q, k, v);       // [N, heads, 1, d]
        using var pooled = attended.reshape(batch, _width);
        return c_proj.call(pooled);
    }

    private Tensor SplitHeads(IntermediateRelease free, Tensor projected, long length, long batch, long head)
    {
        using var split = projected.view(length, batch, _heads, head);
        var heads = split.permute(1, 2, 0, 3);
        free.Release(projected);
        return heads;
    }
}
