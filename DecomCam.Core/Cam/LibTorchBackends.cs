using System.Runtime.InteropServices;
using TorchSharp;

namespace DecomCamNet;

/// <summary>
/// libtorch back-end switches that TorchSharp does not expose, and a guard against a native crash on some virtual
/// machines: when the CPU reports no cache sizes, oneDNN's (mkldnn's) convolution backward pass divides by zero while
/// choosing its blocking and kills the process with SIGFPE (seen with libtorch 2.10 on AMD EPYC VMs, for example when
/// gradients flow back through a strided 1x1 convolution, as in ResNet-50 below layer4).
/// </summary>
public static class LibTorchBackends
{
    private static readonly object Gate = new();
    private static bool? _guardApplied;

    /// <summary>
    /// Whether libtorch may use oneDNN (mkldnn) CPU kernels; PyTorch's <c>torch.backends.mkldnn.enabled</c>.
    /// Linux and macOS only (it calls libtorch's C++ entry points).
    /// </summary>
    /// <exception cref="PlatformNotSupportedException">On Windows.</exception>
    public static bool OneDnnEnabled
    {
        get { EnsureSupported(); return Native.UserEnabledMkldnn(Native.GlobalContext()); }
        set { EnsureSupported(); Native.SetUserEnabledMkldnn(Native.GlobalContext(), value); }
    }

    /// <summary>True when this Linux machine publishes no CPU cache sizes (no <c>/sys/devices/system/cpu/cpu0/cache</c>).</summary>
    public static bool CpuCachesUnknown => OperatingSystem.IsLinux() && !Directory.Exists("/sys/devices/system/cpu/cpu0/cache");

    /// <summary>
    /// Turns oneDNN off once per process when <see cref="CpuCachesUnknown"/>, so that backward passes cannot crash;
    /// returns true when it did. Every CAM method calls this before its first explanation.
    /// </summary>
    public static bool GuardAgainstUnknownCpuCaches()
    {
        lock (Gate)
        {
            if (_guardApplied is bool done) return done;
            _guardApplied = CpuCachesUnknown;
            if (_guardApplied.Value) OneDnnEnabled = false;
            return _guardApplied.Value;
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
