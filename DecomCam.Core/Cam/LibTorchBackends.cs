using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet;

/// <summary>
/// libtorch back-end switches that TorchSharp does not expose, and a guard against a native crash on some virtual
/// machines: when the CPU reports no cache sizes, oneDNN's (mkldnn's) convolution backward pass divides by zero while
/// choosing its blocking and kills the process with SIGFPE (seen with libtorch 2.10 on AMD EPYC VMs, for example when
/// gradients flow back through a strided 1x1 convolution, as in ResNet-50 below layer4) or, worse, returns wrong input
/// gradients without a word (measured on a small CLIP ResNet: an image's gradient in a batch of 3 was 38% of its scale
/// away from the float64 one, alone 1e-5). See <see cref="SafeBackward"/>.
/// </summary>
public static class LibTorchBackends
{
    private static readonly object Gate = new();

    /// <summary>
    /// Whether libtorch may use oneDNN (mkldnn) CPU kernels; PyTorch's <c>torch.backends.mkldnn.enabled</c>.
    /// Linux and macOS only (it calls libtorch's C++ entry points).
    /// </summary>
    /// <exception cref="PlatformNotSupportedException">On Windows.</exception>
    public static bool OneDnnEnabled
    {
        get { EnsureSupported(); return Native.UserEnabledMkldnn(Native.GlobalContext()); }
        set
        {
            EnsureSupported();
            lock (Gate) Native.SetUserEnabledMkldnn(Native.GlobalContext(), value); // waits for a SafeBackward scope to end
        }
    }

    /// <summary>True when this Linux machine publishes no CPU cache sizes (no <c>/sys/devices/system/cpu/cpu0/cache</c>).</summary>
    public static bool CpuCachesUnknown { get; } = OperatingSystem.IsLinux() && !Directory.Exists("/sys/devices/system/cpu/cpu0/cache");

    /// <summary>
    /// Wrap a backward pass in this: where <see cref="CpuCachesUnknown"/>, oneDNN is off until the returned scope is
    /// disposed (then its previous state comes back), so the backward pass cannot crash; elsewhere it does nothing.
    /// Forward passes keep oneDNN's speed. Every CAM method takes its gradients inside such a scope.
    /// </summary>
    public static IDisposable SafeBackward() => CpuCachesUnknown ? WithoutOneDnn() : NoScope.Instance;

    /// <summary>
    /// Whether oneDNN's forward convolution is to be avoided for <paramref name="model"/> on this machine: the CPU reports
    /// no cache sizes (<see cref="CpuCachesUnknown"/>) and a convolution weight on the CPU (any 4-D parameter or buffer
    /// <c>[out, in/groups, kh, kw]</c>) takes more than 16 input channels per group, not a multiple of 16. There libtorch
    /// 2.10's oneDNN gives wrong outputs without a word (measured on AMD EPYC VMs against float64 and oneDNN off: a 3x3
    /// convolution from 24, 40, 56, 72 or 120 channels off by 0.2 to 0.6 for unit-variance inputs, from batch 2 on for 20
    /// to 44 channels and already for one image from 52; 16, 32, 48, 64, 96 and 128 channels agree to 1e-6).
    /// </summary>
    public static bool OneDnnUnsafeFor(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return CpuCachesUnknown && model.parameters().Concat(model.buffers())
            .Any(w => w.device_type == DeviceType.CPU && w.dim() == 4 && w.shape[1] > 16 && w.shape[1] % 16 != 0);
    }

    /// <summary>
    /// Wrap a whole call on <paramref name="model"/> in this: where <see cref="OneDnnUnsafeFor"/> flags the model, oneDNN
    /// is off until the returned scope is disposed (<see cref="WithoutOneDnn"/>); elsewhere it returns null and nothing
    /// changes.
    /// </summary>
    public static IDisposable? SafeForward(nn.Module model) => OneDnnUnsafeFor(model) ? WithoutOneDnn() : null;

    /// <summary>
    /// A scope in which oneDNN is off (then restored), for a whole call on a model that <see cref="OneDnnUnsafeFor"/>
    /// flags; other threads that switch oneDNN wait for it to end. Correct outputs at about half the CPU speed (ResNet-18
    /// forwards measured 2.4 s against 1.0 s for 10 images with oneDNN).
    /// </summary>
    public static IDisposable WithoutOneDnn()
    {
        EnsureSupported();
        Monitor.Enter(Gate);
        bool previous = OneDnnEnabled;
        OneDnnEnabled = false;
        return new RestoreScope(previous);
    }

    private sealed class NoScope : IDisposable
    {
        public static readonly NoScope Instance = new();

        public void Dispose() { }
    }

    private sealed class RestoreScope(bool previous) : IDisposable
    {
        private bool _done;

        public void Dispose()
        {
            if (_done) return;
            _done = true;
            OneDnnEnabled = previous;
            Monitor.Exit(Gate);
        }
    }

    private static void EnsureSupported()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
            throw new PlatformNotSupportedException("Switching oneDNN is supported on Linux and macOS only.");
        torch.InitializeDeviceType(DeviceType.CPU); // loads libtorch before the entry points below are bound
    }

    private static class Native
    {
        [DllImport("libtorch_cpu", EntryPoint = "_ZN2at13globalContextEv")]
        public static extern IntPtr GlobalContext();

        [DllImport("libtorch_cpu", EntryPoint = "_ZN2at7Context20setUserEnabledMkldnnEb")]
        public static extern void SetUserEnabledMkldnn(IntPtr context, [MarshalAs(UnmanagedType.I1)] bool enabled);

        [DllImport("libtorch_cpu", EntryPoint = "_ZNK2at7Context17userEnabledMkldnnEv")]
        [return: MarshalAs(UnmanagedType.I1)]
        public static extern bool UserEnabledMkldnn(IntPtr context);
    }
}
