using System.Runtime.InteropServices;
using DecomCamNet.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet.Native;

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
    private static readonly bool CachesUnreported = OperatingSystem.IsLinux() && !Directory.Exists("/sys/devices/system/cpu/cpu0/cache");
    private static int s_offScopes;
    private static bool s_restoreTo;

    /// <summary>
    /// Whether libtorch may use oneDNN (mkldnn) CPU kernels now; PyTorch's <c>torch.backends.mkldnn.enabled</c>. Set while
    /// a <see cref="WithoutOneDnn"/> scope is open anywhere, the value is what comes back when the last one ends.
    /// Linux and macOS only (it calls libtorch's C++ entry points).
    /// </summary>
    /// <exception cref="PlatformNotSupportedException">On Windows.</exception>
    public static bool OneDnnEnabled
    {
        get { EnsureSupported(); return Native.UserEnabledMkldnn(Native.GlobalContext()); }
        set
        {
            EnsureSupported();
            lock (Gate)
            {
                if (s_offScopes > 0) s_restoreTo = value;
                else Native.SetUserEnabledMkldnn(Native.GlobalContext(), value);
            }
        }
    }

    /// <summary>
    /// True when this Linux machine publishes no CPU cache sizes (no <c>/sys/devices/system/cpu/cpu0/cache</c>), or
    /// while <see cref="AssumeCpuCachesUnknown"/> says so.
    /// </summary>
    public static bool CpuCachesUnknown => CachesUnreported || AssumeCpuCachesUnknown;

    /// <summary>Takes the guards' paths on a machine that reports cache sizes (tests of those paths; process-wide).</summary>
    internal static bool AssumeCpuCachesUnknown { get; set; }

    /// <summary>
    /// Wrap a backward pass in this: where <see cref="CpuCachesUnknown"/>, oneDNN is off until the returned scope is
    /// disposed (<see cref="WithoutOneDnn"/>), so the backward pass cannot crash; elsewhere it does nothing. Forward passes
    /// keep oneDNN's speed. Every CAM method takes its gradients inside such a scope.
    /// </summary>
    public static IDisposable SafeBackward() => CpuCachesUnknown ? WithoutOneDnn() : NoScope.Instance;

    /// <summary>
    /// Whether <paramref name="model"/> has a convolution that oneDNN's forward gets wrong on this machine: the CPU reports
    /// no cache sizes (<see cref="CpuCachesUnknown"/>) and a convolution weight on the CPU (any 4-D parameter or buffer
    /// <c>[out, in/groups, kh, kw]</c>) takes more than 16 input channels per group, not a multiple of 16. There libtorch
    /// 2.10's oneDNN gives wrong outputs without a word (measured on AMD EPYC VMs against float64 and oneDNN off: a 3x3
    /// convolution from 24, 40, 56, 72 or 120 channels off by 0.2 to 0.6 for unit-variance inputs, from batch 2 on for 20
    /// to 44 channels and already for one image from 52; 16, 32, 48, 64, 96 and 128 channels agree to 1e-6).
    /// <see cref="SafeForward"/> routes such convolutions around oneDNN.
    /// </summary>
    public static bool OneDnnUnsafeFor(nn.Module model) => UnsafeWeights(model).Any();

    /// <summary>
    /// Wrap a whole call on <paramref name="model"/> in this: where <see cref="OneDnnUnsafeFor"/> flags the model, its
    /// flagged <c>Conv2d</c> modules compute through <see cref="OneDnnSafeConvolution"/> until the scope is disposed
    /// (<see cref="OneDnnConvolutionRoute"/>, per operation, other threads untouched); models that implement
    /// <see cref="IRoutedConvolutions"/> route their own. Only a flagged weight that neither reaches (a raw 4-D parameter
    /// a custom module convolves with) turns oneDNN off for the call (<see cref="WithoutOneDnn"/>). Returns null where
    /// nothing is flagged.
    /// </summary>
    public static IDisposable? SafeForward(nn.Module model)
    {
        if (!OneDnnUnsafeFor(model)) return null;
        var route = OneDnnConvolutionRoute.Install(model);
        if (!NeedsOneDnnOff(model)) return route;
        var off = WithoutOneDnn();
        return new Scopes(route, off);
    }

    /// <summary>
    /// Whether a call on <paramref name="model"/> needs oneDNN off: a flagged weight (<see cref="OneDnnUnsafeFor"/>) that
    /// is neither a routed <c>Conv2d</c>'s (<see cref="OneDnnConvolutionRoute"/>) nor in an <see cref="IRoutedConvolutions"/> module.
    /// </summary>
    public static bool NeedsOneDnnOff(nn.Module model)
    {
        var flagged = UnsafeWeights(model).ToList();
        if (flagged.Count == 0) return false;
        var routed = OneDnnConvolutionRoute.Routable(model).Select(c => c.weight)
            .Concat(model.modules().Prepend(model).OfType<IRoutedConvolutions>().SelectMany(m => ((nn.Module)m).parameters().Concat(((nn.Module)m).buffers())))
            .Select(w => w.Handle).ToHashSet();
        return flagged.Any(w => !routed.Contains(w.Handle));
    }

    /// <summary>
    /// A scope in which oneDNN is off: the first open scope in the process turns it off, the last one to close restores
    /// what was set before. Nothing waits: overlapping scopes on several threads run at once (meanwhile every thread's
    /// convolutions take libtorch's other kernels, correct and slower: ResNet-18 forwards measured 2.4 s against 1.0 s for
    /// 10 images with oneDNN).
    /// </summary>
    public static IDisposable WithoutOneDnn()
    {
        EnsureSupported();
        lock (Gate)
        {
            if (s_offScopes++ == 0)
            {
                s_restoreTo = Native.UserEnabledMkldnn(Native.GlobalContext());
                Native.SetUserEnabledMkldnn(Native.GlobalContext(), false);
            }
        }
        return new RestoreScope();
    }

    private static IEnumerable<Tensor> UnsafeWeights(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!CpuCachesUnknown) return Enumerable.Empty<Tensor>();
        return model.parameters().Concat(model.buffers())
            .Where(w => w.device_type == DeviceType.CPU && w.dim() == 4 && OneDnnSafeConvolution.IsUnsafeChannelCount(w.shape[1]));
    }

    private sealed class NoScope : IDisposable
    {
        public static readonly NoScope Instance = new();

        public void Dispose() { }
    }

    private sealed class Scopes(IDisposable? first, IDisposable second) : IDisposable
    {
        public void Dispose()
        {
            second.Dispose();
            first?.Dispose();
        }
    }

    private sealed class RestoreScope : IDisposable
    {
        private bool _done;

        public void Dispose()
        {
            lock (Gate)
            {
                if (_done) return;
                _done = true;
                if (--s_offScopes == 0) Native.SetUserEnabledMkldnn(Native.GlobalContext(), s_restoreTo);
            }
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
