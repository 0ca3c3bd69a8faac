using static TorchSharp.torch;
using TensorIndex = TorchSharp.torch.TensorIndex;

namespace DecomCamNet.Models;

/// <summary>
/// torchvision's Swin <c>PatchMerging</c>: pads <c>[N, H, W, C]</c> to even sides, concatenates each 2x2 neighbourhood
/// (top-left, bottom-left, top-right, bottom-right) into <c>[N, H/2, W/2, 4C]</c>, then <c>norm</c> and the bias-free
/// linear <c>reduction</c> to <c>2C</c>.
/// </summary>
public sealed class PatchMerging : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> reduction;
    private readonly nn.Module<Tensor, Tensor> norm;

    /// <summary>Creates the layer.</summary>
    /// <param name="width">Token width of the input.</param>
    /// <param name="device">Where to allocate the parameters (default: TorchSharp's default device).</param>
    public PatchMerging(long width, Device? device = null)
        : base(nameof(PatchMerging))
    {
        reduction = nn.Linear(4 * width, 2 * width, hasBias: false, device: device);
        norm = nn.LayerNorm(4 * width, 1e-5, device: device);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        if (input.ndim != 4)
            throw new ArgumentException($"Expected channels-last [N, H, W, C], got [{string.Join(", ", input.shape)}].", nameof(input));
        using var padded = nn.functional.pad(input, [0, 0, 0, input.shape[2] % 2, 0, input.shape[1] % 2]);
        using var x0 = Quarter(padded, 0, 0);
        using var x1 = Quarter(padded, 1, 0);
        using var x2 = Quarter(padded, 0, 1);
        using var x3 = Quarter(padded, 1, 1);
        using var merged = cat([x0, x1, x2, x3], -1);
        return reduction.call(norm.call(merged));
    }

    private static Tensor Quarter(Tensor x, long row, long column) =>
        x[TensorIndex.Colon, TensorIndex.Slice(row, null, 2), TensorIndex.Slice(column, null, 2), TensorIndex.Colon];
}
