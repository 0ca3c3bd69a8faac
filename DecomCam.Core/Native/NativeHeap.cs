using System.Runtime.InteropServices;

namespace DecomCamNet.Native;

/// <summary>
/// The C heap that libtorch's CPU tensors live on (Linux with glibc). By default glibc gives large freed blocks back to
/// the kernel, so every batched forward pass gets fresh pages that the kernel must map and zero again, 4 KiB at a time;
/// threads other than the main one allocate from arenas that are unmapped even more eagerly. On the project's 2-core VM
/// a ResNet-18 forward of 32 images cost 50 ms per image this way against 25 ms for one image alone. Both switches here
/// are process-wide and opt-in: the library never calls them on its own.
/// </summary>
public static class NativeHeap
{
    private const int TrimThreshold = -1; // glibc M_TRIM_THRESHOLD
    private const int MmapThreshold = -3; // glibc M_MMAP_THRESHOLD
    private const int ArenaMax = -8; // glibc M_ARENA_MAX
    private const int LargestMmapThreshold = 32 << 20; // glibc's upper bound for M_MMAP_THRESHOLD on 64-bit
    private const string HugePagesVariable = "THP_MEM_ALLOC_ENABLE";

    /// <summary>
    /// Lets libtorch back CPU tensors of 2 MiB or more with transparent huge pages, so that fresh memory faults in 2 MiB
    /// at a time: it sets <c>THP_MEM_ALLOC_ENABLE=1</c> in the native environment unless it is set already. libtorch reads
    /// it once, at its first CPU allocation, so call this before creating any tensor. It helps where the kernel's THP
    /// mode is <c>madvise</c> or <c>always</c> and costs no resident memory (Score-CAM on ResNet-18's layer4 in batches of
    /// 32: 14 s instead of 22 to 28 s, peak 1.9 GiB either way). It hurts where batches fit the heap anyway and under CPU
    /// contention (DecomCAM 4.8 s instead of 1.1 to 1.5 s with a second busy process; on an idle machine Grad-CAM on
    /// ResNet-18 took 0.070 s instead of 0.033 s), so the <c>decomcam</c> command line calls it only for <c>--huge-pages</c>.
    /// </summary>
    /// <returns>True on Linux (the variable is set); false elsewhere, where nothing changes.</returns>
    public static bool UseHugePages() => OperatingSystem.IsLinux() && NativeEnvironment.SetIfUnset(HugePagesVariable, "1");

    /// <summary>
    /// Makes glibc keep freed memory for reuse (trim threshold 2 GiB; blocks up to 32 MiB come from the heap instead of
    /// their own mappings) and serve every thread from one arena (<c>M_ARENA_MAX</c> = 1). Batched forwards then reuse pages
    /// instead of faulting fresh ones: DecomCAM on ResNet-18, 224 px: 0.25 s per call and a flat 0.6 GB over 300 calls,
    /// against 0.42 s per call without, since the freed top of the heap is returned and faulted in again every call.
    /// The single arena matters on threads other than the main one (thread-pool workers, BenchmarkDotNet): glibc gives them
    /// arenas of 64 MiB heaps, in which batches of large activations are mapped and unmapped on every forward (Score-CAM on
    /// ResNet-18 in batches of 32 on a worker thread: 25.9 s, against 11.4 s on the main thread and 13.8-15.4 s on a worker
    /// with one arena). libtorch's allocations are few and large, so sharing one arena costs no measurable lock contention.
    /// Threads that allocated before this call keep their arena: call it at start-up. Resident memory stays near its peak
    /// instead of being returned between calls; the peak itself does not grow when batches stay under 32 MiB per
    /// activation, as the methods' CPU defaults do. With batches whose activations exceed 32 MiB the heap fragments
    /// (Score-CAM on ResNet-18's layer4 in batches of 32: 4.6 GiB after four calls against 1.8 GiB without). The
    /// <c>decomcam</c> command line and the benchmarks call it.
    /// </summary>
    /// <returns>True when glibc took the settings; false elsewhere (not Linux, not glibc), where nothing changes.</returns>
    public static bool KeepFreedMemory()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            return Native.mallopt(MmapThreshold, LargestMmapThreshold) == 1 && Native.mallopt(TrimThreshold, int.MaxValue) == 1
                && Native.mallopt(ArenaMax, 1) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false; // not glibc (for example musl without mallopt)
        }
    }

    /// <summary>
    /// Gives the heap's free memory back to the kernel now (glibc's <c>malloc_trim(0)</c>), whatever
    /// <see cref="KeepFreedMemory"/> set: the next allocations fault their pages in afresh. The masked-forward tuning calls
    /// it when it moves from one trial setting to another (<see cref="Cam.MaskedForwardTuner"/>), so that the settings'
    /// differently sized blocks do not pile up; nothing else in the library does.
    /// </summary>
    /// <returns>True when glibc gave memory back; false when it had none to give or the platform has no glibc.</returns>
    public static bool Trim()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            return Native.malloc_trim(UIntPtr.Zero) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    private static class Native
    {
        [DllImport("libc", EntryPoint = "malloc_trim")]
        public static extern int malloc_trim(UIntPtr pad);

        [DllImport("libc", EntryPoint = "mallopt")]
        public static extern int mallopt(int parameter, int value);
    }
}
