using DecomCamNet.Models;
using static TorchSharp.torch;

namespace DecomCamNet.Clip.Models;

/// <summary>
/// A stack of <see cref="ResidualAttentionBlock"/>s registered as <c>resblocks.0</c>, <c>resblocks.1</c>, ... (CLIP's
/// <c>Transformer</c>). Sequence-first: [L, N, width] in and out.
/// </summary>
public sealed class ClipTransformer : nn.Module<Tensor, Tensor>
{
    private readonly HookSafeSequential resblocks;

    /// <summary>Creates the stack.</summary>
    /// <param name="width">Embedding width.</param>
    /// <param name="layers">Number of blocks.</param>
    /// <param name="heads">Attention heads per block.</param>
    /// <param name="causal">Whether attention is causal (the text encoder) or full (the image encoder).</param>
    /// <param name="device">Where to allocate the parameters (default: TorchSharp's default device).</param>
    public ClipTransformer(long width, int layers, long heads, bool causal, Device? device = null)
        : base(nameof(ClipTransformer))
    {
        if (layers < 1)
            throw new ArgumentOutOfRangeException(nameof(layers), layers, "A transformer needs at least one block.");
        Width = width;
        Layers = layers;
        resblocks = new HookSafeSequential(
            Enumerable.Range(0, layers).Select(_ => (nn.Module<Tensor, Tensor>)new ResidualAttentionBlock(width, heads, causal, device)));
        RegisterComponents();
    }

    /// <summary>Embedding width.</summary>
    public long Width { get; }

    /// <summary>Number of blocks.</summary>
    public int Layers { get; }

    /// <inheritdoc />
    public override Tensor forward(Tensor input) => resblocks.call(input);
}
