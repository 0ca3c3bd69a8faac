using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace DecomCamNet.Native;

/// <summary>
/// A 2-D convolution that gives the right answer where libtorch 2.10's oneDNN does not: on CPUs that report no cache
/// sizes (<see cref="LibTorchBackends.CpuCachesUnknown"/>) oneDNN's float32 forward convolution is wrong for more than 16
/// input channels per group that are not a multiple of 16 (see <see cref="LibTorchBackends.OneDnnUnsafeFor"/>), and right
/// for multiples of 16. There the input's channels of each group and the weight's input channels are zero-padded to the
/// next multiple of 16 before the convolution: the added channels meet zero weights, so the sum is the same in exact
/// arithmetic, and oneDNN computes it right. Per operation: no process-wide switch, other threads untouched. Everywhere
/// else it is <c>torch.nn.functional.conv2d</c>.
/// </summary>
public static class OneDnnSafeConvolution
{
    private const long Block = 16;

    /// <summary>Whether a convolution of <paramref name="input"/> with <paramref name="weight"/> [out, in/groups, kh, kw] is padded here.</summary>
    public static bool IsRouted(Tensor input, Tensor weight) =>
        LibTorchBackends.CpuCachesUnknown && input.device_type == DeviceType.CPU && weight.dtype == ScalarType.Float32
        && IsUnsafeChannelCount(weight.shape[1]);

    /// <summary>True for input-channel counts per group that oneDNN gets wrong where caches are unknown: more than 16, not a multiple of 16.</summary>
    public static bool IsUnsafeChannelCount(long perGroup) => perGroup > Block && perGroup % Block != 0;

    /// <summary><c>conv2d</c> with explicit zero padding, routed around oneDNN where <see cref="IsRouted"/>.</summary>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias, long[] stride, long[] padding, long[] dilation, long groups)
    {
        if (!IsRouted(input, weight)) return F.conv2d(input, weight, bias, stride, padding, dilation, groups);
        using var paddedInput = PadChannels(input, groups, weight.shape[1]);
        using var paddedWeight = PadChannels(weight, 1, weight.shape[1]);
        return F.conv2d(paddedInput, paddedWeight, bias, stride, padding, dilation, groups);
    }

    /// <summary><c>conv2d</c> with <c>same</c> or <c>valid</c> padding, routed around oneDNN where <see cref="IsRouted"/>.</summary>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias, long[] stride, Padding padding, long[] dilation, long groups)
    {
        if (!IsRouted(input, weight)) return F.conv2d_padding(input, weight, bias, stride, padding, dilation, groups);
        using var paddedInput = PadChannels(input, groups, weight.shape[1]);
        using var paddedWeight = PadChannels(weight, 1, weight.shape[1]);
        return F.conv2d_padding(paddedInput, paddedWeight, bias, stride, padding, dilation, groups);
    }

    /// <summary>
    /// Zero-pads each of the <paramref name="groups"/> channel groups of <paramref name="x"/> [N, groups·perGroup, H, W]
    /// (or a weight [out, perGroup, kh, kw] with one group) from <paramref name="perGroup"/> to the next multiple of 16.
    /// </summary>
    private static Tensor PadChannels(Tensor x, long groups, long perGroup)
    {
        long extra = (Block - perGroup % Block) % Block;
        var pad = new[] { 0L, 0L, 0L, 0L, 0L, extra };
        if (groups == 1) return F.pad(x, pad, PaddingModes.Constant);
        using var split = x.unflatten(1, new[] { groups, perGroup });
        using var padded = F.pad(split, pad, PaddingModes.Constant);
        return padded.flatten(1, 2);
    }
}
