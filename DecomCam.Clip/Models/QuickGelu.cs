using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet.Clip.Models;

/// <summary>CLIP's GELU approximation <c>x * sigmoid(1.702 x)</c>, used inside every transformer MLP.</summary>
public sealed class QuickGelu : nn.Module<Tensor, Tensor>
{
    private static readonly Scalar Slope = 1.702.ToScalar(); // kept for the process: see CachedScalars


    /// <summary>Creates the activation (no parameters).</summary>
    public QuickGelu()
        : base(nameof(QuickGelu))
    {
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var gate = input.mul(Slope);
        gate.sigmoid_();
        return input.mul(gate);
    }
}
