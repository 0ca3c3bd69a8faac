using DecomCamNet.Native;
using static TorchSharp.torch;

namespace DecomCamNet.Models;

/// <summary>
/// torchvision's <c>SwinTransformerBlock</c>: <c>x = input + attn(norm1(input))</c>, then <c>x + mlp(norm2(x))</c>, with
/// children <c>norm1</c>, <c>attn</c> (<see cref="ShiftedWindowAttention"/>), <c>norm2</c> and <c>mlp</c>
/// (<see cref="TransformerMlp"/>). Channels-last <c>[N, H, W, C]</c> in and out. Stochastic depth, identity at
/// inference, is left out (it holds no weights).
/// </summary>
public sealed class SwinTransformerBlock : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> norm1;
    private readonly ShiftedWindowAttention attn;
    private readonly nn.Module<Tensor, Tensor> norm2;
    private readonly HookSafeSequential mlp;

    /// <summary>Creates the block.</summary>
    /// <param name="width">Token width.</param>
    /// <param name="heads">Attention heads.</param>
    /// <param name="window">Side of the square windows.</param>
    /// <param name="shift">Shift of the windows: 0, or half a window.</param>
    /// <param name="mlpRatio">Hidden width of the MLP per token width.</param>
    /// <param name="device">Where to allocate the parameters (default: TorchSharp's default device).</param>
    public SwinTransformerBlock(long width, long heads, int window, int shift, double mlpRatio, Device? device = null)
        : base(nameof(SwinTransformerBlock))
    {
        norm1 = nn.LayerNorm(width, 1e-5, device: device);
        attn = new ShiftedWindowAttention(width, window, shift, heads, device);
        norm2 = nn.LayerNorm(width, 1e-5, device: device);
        mlp = TransformerMlp.Create(width, (long)(width * mlpRatio), device);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        // x is no module's output (no hook holds it): it is freed here rather than by the caller's dispose scope.
        using var x = input.add(attn.call(norm1.call(input)), CachedScalars.One);
        return x.add(mlp.call(norm2.call(x)), CachedScalars.One);
    }
}
