using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet.Clip;

/// <summary>CLIP's GELU approximation <c>x * sigmoid(1.702 x)</c>, used inside every transformer MLP.</summary>
public sealed class QuickGelu : nn.Module<Tensor, Tensor>
{
    /// <summary>Creates the activation (no parameters).</summary>
    public QuickGelu()
        : base(nameof(QuickGelu))
    {
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var gate = input.mul(ClipScalars.QuickGeluSlope);
        gate.sigmoid_();
        return input.mul(gate);
    }
}
