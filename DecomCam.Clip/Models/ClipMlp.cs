using DecomCamNet.Models;
using static TorchSharp.torch;

namespace DecomCamNet.Clip.Models;

/// <summary>
/// The feed-forward half of a <see cref="ResidualAttentionBlock"/>: <c>c_fc</c> (width to 4x width), <c>gelu</c>
/// (<see cref="QuickGelu"/>), <c>c_proj</c> (back to width), with those module names.
/// </summary>
public sealed class ClipMlp : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> c_fc;
    private readonly nn.Module<Tensor, Tensor> gelu;
    private readonly nn.Module<Tensor, Tensor> c_proj;

    /// <summary>Creates the MLP.</summary>
    /// <param name="width">Input and output features.</param>
    /// <param name="device">Where to allocate the parameters (default: TorchSharp's default device).</param>
    public ClipMlp(long width, Device? device = null)
        : base(nameof(ClipMlp))
    {
        c_fc = nn.Linear(width, width * 4, device: device);
        gelu = new QuickGelu();
        c_proj = nn.Linear(width * 4, width, device: device);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input) => IntermediateRelease.For(input).Chain(input, c_fc, gelu, c_proj);
}
