using System.Runtime.InteropServices;

namespace DecomCamNet;

/// <summary>
/// The C heap that libtorch's CPU tensors live on. By default glibc gives large freed blocks back to the kernel, so every
/// forward pass gets fresh pages that the kernel must map and zero again, and threads other than the main one allocate
/// from arenas that are unmapped even more eagerly. On the project's 2-core VM a ResNet-18 forward of 32 images took
/// 1.6 s on a worker thread and 0.55 to 1.9 s on the main thread this way, against about 0.63 s on either after
/// <see cref="TuneForLibTorch"/>; Score-CAM, UnionCAM and DecomCAM, which run many batched forwards, gain as much.
/// </summary>
public static class NativeHeap
{
    private const int TrimThreshold = -1; // glibc M_TRIM_THRESHOLD
    private const int MmapThreshold = -3; // glibc M_MMAP_THRESHOLD
    private const int LargestMmapThreshold = 32 << 20; // glibc's upper bound for M_MMAP_THRESHOLD on 64-bit
    private const string HugePagesVariable = "THP_MEM_ALLOC_ENABLE";

    /// <summary>
    /// Process-wide and opt-in (the <c>decomcam</c> command line and the benchmarks call it first thing); Linux with glibc
    /// only. Two settings: glibc keeps freed memory for reuse (trim threshold 2 GiB; blocks up to 32 MiB come from the
    /// heap instead of their own mappings), and libtorch backs CPU tensors of 2 MiB or more with transparent huge pages
    /// (it sets <c>THP_MEM_ALLOC_ENABLE=1</c> in the native environment unless it is set already; libtorch reads it once,
    /// at its first CPU allocation, so call this before creating any tensor; it helps where the kernel's THP mode is
    /// <c>madvise</c> or <c>always</c>). The price: resident memory stays near its peak instead of shrinking after each call.
    /// </summary>
    /// <returns>True when glibc took the settings; false elsewhere (not Linux, not glibc), where nothing changes.</returns>
    public static bool TuneForLibTorch()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            bool heap = Native.mallopt(MmapThreshold, LargestMmapThreshold) == 1 && Native.mallopt(TrimThreshold, int.MaxValue) == 1;
            if (heap) Native.setenv(HugePagesVariable, "1", 0);
            return heap;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false; // not glibc (for example musl without mallopt)
        }
    }

    private static class Native
    {
        [DllImport("libc", EntryPoint = "mallopt")]
        public static extern int mallopt(int parameter, int value);

        [DllImport("libc", EntryPoint = "setenv")]
        public static extern int setenv(string name, string value, int overwrite);
    }
}
