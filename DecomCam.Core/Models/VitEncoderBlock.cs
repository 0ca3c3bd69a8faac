using DecomCamNet.Native;
using static TorchSharp.torch;

namespace DecomCamNet.Models;

/// <summary>
/// torchvision's ViT <c>EncoderBlock</c>, pre-norm: <c>x = input + self_attention(ln_1(input))</c>, then
/// <c>x + mlp(ln_2(x))</c>, with children <c>ln_1</c>, <c>self_attention</c> (<see cref="MultiheadSelfAttention"/>),
/// <c>ln_2</c> and <c>mlp</c> (<see cref="TransformerMlp"/>). Tokens are batch-first, <c>[N, T, width]</c>.
/// </summary>
public sealed class VitEncoderBlock : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> ln_1;
    private readonly MultiheadSelfAttention self_attention;
    private readonly nn.Module<Tensor, Tensor> ln_2;
    private readonly HookSafeSequential mlp;

    /// <summary>Creates the block.</summary>
    /// <param name="width">Token width.</param>
    /// <param name="heads">Attention heads.</param>
    /// <param name="mlpWidth">Hidden width of the MLP.</param>
    /// <param name="layerNormEps">The epsilon of both layer norms (torchvision 1e-6, Hugging Face 1e-12).</param>
    /// <param name="device">Where to allocate the parameters (default: TorchSharp's default device).</param>
    public VitEncoderBlock(long width, long heads, long mlpWidth, double layerNormEps, Device? device = null)
        : base("EncoderBlock")
    {
        ln_1 = nn.LayerNorm(width, layerNormEps, device: device);
        self_attention = new MultiheadSelfAttention(width, heads, device);
        ln_2 = nn.LayerNorm(width, layerNormEps, device: device);
        mlp = TransformerMlp.Create(width, mlpWidth, device);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        // x is no module's output (no hook holds it): it is freed here rather than by the caller's dispose scope.
        using var x = self_attention.call(ln_1.call(input)).add(input, CachedScalars.One);
        return x.add(mlp.call(ln_2.call(x)), CachedScalars.One);
    }
}
