using static TorchSharp.torch;

namespace DecomCamNet.Models;

/// <summary>torchvision's <c>Permute</c> module (<c>torchvision.ops.misc.Permute</c>): reorders the dimensions of its input.</summary>
public sealed class Permute : nn.Module<Tensor, Tensor>
{
    private readonly long[] _dims;

    /// <summary>Creates the module.</summary>
    /// <param name="dims">The new order of the dimensions, as for <c>Tensor.permute</c>.</param>
    public Permute(params long[] dims)
        : base(nameof(Permute))
    {
        ArgumentNullException.ThrowIfNull(dims);
        _dims = (long[])dims.Clone();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input) => input.permute(_dims);
}
