using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DecomCamNet.Clip.Models;

/// <summary>
/// Layer normalisation over the last dimension with parameters <c>weight</c> and <c>bias</c> (eps 1e-5), computed in
/// float32 whatever the input's dtype and returned in the input's dtype, as CLIP's own LayerNorm does so that
/// half-precision models normalise in full precision.
/// </summary>
public sealed class ClipLayerNorm : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly Parameter bias;
    private readonly long[] _shape;

    /// <summary>Creates the layer with weight 1 and bias 0.</summary>
    /// <param name="width">Size of the normalised (last) dimension.</param>
    /// <param name="device">Where to allocate the parameters (default: TorchSharp's default device).</param>
    public ClipLayerNorm(long width, Device? device = null)
        : base(nameof(ClipLayerNorm))
    {
        _shape = [width];
        weight = nn.Parameter(ones(width, device: device));
        bias = nn.Parameter(zeros(width, device: device));
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        if (input.dtype == ScalarType.Float32)
            return nn.functional.layer_norm(input, _shape, weight, bias, 1e-5);
        using var scope = NewDisposeScope();
        var wide = nn.functional.layer_norm(input.to(ScalarType.Float32), _shape, weight, bias, 1e-5);
        return wide.to(input.dtype).MoveToOuterDisposeScope();
    }
}
