using DecomCamNet.Native;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DecomCamNet.Models;

/// <summary>
/// torchvision's ViT <c>Encoder</c>: adds <c>pos_embedding</c> [1, T, width], runs <c>layers</c>
/// (<c>encoder_layer_0</c>, <c>encoder_layer_1</c>, ...: <see cref="VitEncoderBlock"/>s) and the final norm <c>ln</c>.
/// </summary>
public sealed class VitEncoder : nn.Module<Tensor, Tensor>
{
    private readonly Parameter pos_embedding;
    private readonly HookSafeSequential layers;
    private readonly nn.Module<Tensor, Tensor> ln;

    /// <summary>Creates the encoder; the position embedding is drawn from N(0, 0.02) as torchvision's.</summary>
    /// <param name="config">The hyperparameters.</param>
    /// <param name="device">Where to allocate the parameters (default: TorchSharp's default device).</param>
    public VitEncoder(VisionTransformerConfig config, Device? device = null)
        : base("Encoder")
    {
        ArgumentNullException.ThrowIfNull(config);
        long tokens = (long)config.GridSize * config.GridSize + 1;
        pos_embedding = nn.Parameter(empty(1, tokens, config.HiddenDim, device: device));
        layers = new HookSafeSequential(Enumerable.Range(0, config.Layers).Select(i => (
            $"encoder_layer_{i}",
            (nn.Module<Tensor, Tensor>)new VitEncoderBlock(config.HiddenDim, config.Heads, config.MlpDim, config.LayerNormEps, device))));
        ln = nn.LayerNorm(config.HiddenDim, config.LayerNormEps, device: device);
        RegisterComponents();
        if (pos_embedding.device_type != TorchSharp.DeviceType.META)
        {
            using var noGrad = no_grad();
            pos_embedding.normal_(0, 0.02);
        }
    }

    /// <summary>The final LayerNorm (<c>ln</c>) applied to tokens [N, T, width] (what follows the last block).</summary>
    internal Tensor FinalNorm(Tensor tokens) => ln.call(tokens);

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var x = input.add(pos_embedding, CachedScalars.One);
        return ln.call(layers.call(x));
    }
}
