using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet;

/// <summary>Memory layout of the masked inputs that Score-CAM, UnionCAM and DecomCAM forward without gradients.</summary>
public enum MaskedInputLayout
{
    /// <summary>Channels-last on CPUs that report their cache sizes, contiguous (NCHW) elsewhere (see <see cref="MaskedForwards.UsesChannelsLast"/>).</summary>
    Auto,

    /// <summary>The usual contiguous NCHW layout.</summary>
    Contiguous,

    /// <summary>NHWC strides behind the NCHW shape (PyTorch's <c>torch.channels_last</c>): oneDNN's fastest CPU convolutions.</summary>
    ChannelsLast,
}

/// <summary>
/// How the gradient-free masked forwards are batched and laid out by default, per device. On a CPU a batched forward of
/// contiguous (NCHW) inputs costs more per image than small batches (its activations outgrow the caches), while
/// channels-last batches run oneDNN's blocked kernels at about a third of the NCHW cost per image (ResNet-18, 224 px,
/// batch 8: 17 ms per image against 57 ms). On CPUs that report no cache sizes, oneDNN's channels-last 1x1
/// convolutions can divide by zero (SIGFPE, seen on ResNet-50's layer3), so <see cref="MaskedInputLayout.Auto"/> keeps
/// NCHW there (<see cref="LibTorchBackends.CpuCachesUnknown"/>).
/// </summary>
public static class MaskedForwards
{
    /// <summary>Default masked inputs per forward on a CPU.</summary>
    public const int CpuBatchSize = 8;

    /// <summary>Default masked inputs per forward on a GPU.</summary>
    public const int GpuBatchSize = 32;

    /// <summary>The default batch size for masked forwards on <paramref name="device"/>.</summary>
    public static int DefaultBatchSize(Device device) => device.type == DeviceType.CPU ? CpuBatchSize : GpuBatchSize;

    /// <summary>Whether masked inputs on <paramref name="device"/> are forwarded channels-last under <paramref name="layout"/>.</summary>
    public static bool UsesChannelsLast(MaskedInputLayout layout, Device device) => layout switch
    {
        MaskedInputLayout.ChannelsLast => true,
        MaskedInputLayout.Contiguous => false,
        _ => device.type == DeviceType.CPU && !LibTorchBackends.CpuCachesUnknown,
    };

    /// <summary>The same values as <paramref name="batch"/> [N,C,H,W], stored channels-last (NHWC strides, NCHW shape).</summary>
    public static Tensor ToChannelsLast(Tensor batch) => batch.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);
}
