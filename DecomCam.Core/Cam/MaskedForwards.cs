using DecomCamNet.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet.Cam;

/// <summary>
/// How the gradient-free masked forwards are batched and laid out by default, per device.
/// <para>Batch size on a CPU: libtorch allocates with glibc's <c>malloc</c>, which serves blocks up to 32 MiB from its
/// heap (reused from forward to forward) and larger ones with <c>mmap</c> (fresh pages, faulted in and zeroed on every
/// forward: two to three times slower here). The default batch therefore keeps the model's largest activation, measured
/// during the call's first forward pass, under <see cref="CpuActivationBudget"/>, and the layer outputs a batch holds at once,
/// measured in the same pass, under <see cref="CpuHeldBudget"/>, and splits the work into equal batches:
/// a 224-px ResNet takes 10 masked inputs per forward (its 64x112x112 stem output is 3.2 MB per image), a VGG 2.</para>
/// <para>Layout: channels-last batches run oneDNN's blocked kernels, faster per image from batches of about 8 on
/// (ResNet-18, 224 px, 10 inputs: 0.21 s against 0.23 s contiguous) but much slower for one or two inputs (the weights are
/// reordered on every call). On CPUs that report no cache sizes, oneDNN's channels-last 1x1 convolutions can divide by
/// zero (SIGFPE, seen on ResNet-50's layer3), so <see cref="MaskedInputLayout.Auto"/> keeps NCHW there
/// (<see cref="LibTorchBackends.CpuCachesUnknown"/>).</para>
/// <para>These are the defaults; unless told not to, the methods tune them per model, input shape, device and dtype on
/// the first call's own batches (<see cref="MaskedForwardTuner"/>).</para>
/// </summary>
public static class MaskedForwards
{
    /// <summary>Largest activation per masked batch that the CPU default allows: 31 MiB, just under glibc's 32 MiB mmap ceiling.</summary>
    public const long CpuActivationBudget = 31L << 20;

    /// <summary>Most masked inputs per forward that the CPU default takes, however small the activations.</summary>
    public const int CpuMaxBatchSize = 32;

    /// <summary>Default masked inputs per forward on a GPU.</summary>
    public const int GpuBatchSize = 32;

    /// <summary>
    /// Most bytes of layer outputs that one CPU masked batch may hold at once: 512 MiB. A model that frees its
    /// intermediates under no_grad (the zoo's, <see cref="DecomCamNet.Models.IntermediateRelease"/>) holds a few layer
    /// outputs per input and never reaches it at the activation budget's batch sizes; one that keeps every layer's output
    /// until its dispose scope ends (about 200 MiB per input for a 224-px ResNet-50) gets smaller batches instead.
    /// </summary>
    public const long CpuHeldBudget = 512L << 20;

    /// <summary>
    /// The CPU default batch size: as many inputs as keep an activation of <paramref name="largestActivationBytes"/> per
    /// input under <see cref="CpuActivationBudget"/> and, when <paramref name="heldBytesPerRow"/> is known (positive), the
    /// layer outputs a batch holds at once under <see cref="CpuHeldBudget"/> (at least 1, at most <see cref="CpuMaxBatchSize"/>).
    /// </summary>
    /// <param name="largestActivationBytes">The largest layer output per input, in bytes.</param>
    /// <param name="heldBytesPerRow">The most bytes of layer outputs alive at once per input during a forward without
    /// gradients; 0 when not measured.</param>
    public static int CpuBatchSize(long largestActivationBytes, long heldBytesPerRow = 0)
    {
        long byActivation = CpuActivationBudget / Math.Max(1, largestActivationBytes);
        long byHeld = heldBytesPerRow > 0 ? CpuHeldBudget / heldBytesPerRow : CpuMaxBatchSize;
        return (int)Math.Clamp(Math.Min(byActivation, byHeld), 1, CpuMaxBatchSize);
    }

    /// <summary>
    /// The batch size that splits <paramref name="count"/> items into the fewest equal batches of at most
    /// <paramref name="maxBatch"/> (11 items at most 10: two batches of 6 and 5, not 10 and 1).
    /// </summary>
    public static int Balanced(long count, int maxBatch)
    {
        if (count <= 0) return Math.Max(1, maxBatch);
        long batches = (count + maxBatch - 1) / maxBatch;
        return (int)((count + batches - 1) / batches);
    }

    /// <summary>
    /// Largest activation per masked batch that a tuned batch size may reach (<see cref="MaskedForwardTuner"/>): 128 MiB,
    /// which lets a 224-px ResNet try batches of 32.
    /// </summary>
    public const long TunedActivationCap = 128L << 20;

    /// <summary>
    /// The largest batch size <see cref="MaskedForwardTuner"/> may try on <paramref name="device"/>: on a CPU, as many inputs
    /// as keep an activation of <paramref name="largestActivationBytes"/> per input (0: not measured) under
    /// <see cref="TunedActivationCap"/> and, when <paramref name="heldBytesPerRow"/> is known (positive), what a batch
    /// holds at once under <see cref="CpuHeldBudget"/>, at most <see cref="CpuMaxBatchSize"/>; on a GPU, <see cref="GpuBatchSize"/>.
    /// </summary>
    public static int MaxTunedBatchSize(long largestActivationBytes, Device device, long heldBytesPerRow = 0) => device.type == DeviceType.CPU
        ? (int)Math.Clamp(Math.Min(TunedActivationCap / Math.Max(1, largestActivationBytes),
            heldBytesPerRow > 0 ? CpuHeldBudget / heldBytesPerRow : CpuMaxBatchSize), 1, CpuMaxBatchSize)
        : GpuBatchSize;

    /// <summary>Whether channels-last may be tried on <paramref name="device"/>: not on a CPU that reports no cache sizes
    /// (<see cref="LibTorchBackends.CpuCachesUnknown"/>).</summary>
    public static bool ChannelsLastSafe(Device device) => device.type != DeviceType.CPU || !LibTorchBackends.CpuCachesUnknown;

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
