using System.Runtime.InteropServices;
using DecomCamNet.Native;

namespace DecomCamNet.Tests.Cam;

/// <summary>
/// glibc's heap settings. Alone: the mapped-bytes count is process-wide, and a test beside it that maps a block over
/// 32 MiB (a large tensor) would move it.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessHeapCollection
{
    public const string Name = "glibc's process-wide heap statistics";
}

[Collection(ProcessHeapCollection.Name)]
public class NativeHeapTests
{
    [Fact]
    public void HugePagesAreAskedForInTheNativeEnvironment()
    {
        Assert.True(NativeHeap.UseHugePages());
        Assert.True(NativeHeap.UseHugePages()); // idempotent
        Assert.Equal("1", Marshal.PtrToStringUTF8(GetEnv("THP_MEM_ALLOC_ENABLE"))); // what libtorch reads
    }

    [Fact]
    public void BlocksUpTo32MiBComeFromTheHeapAfterwards()
    {
        Assert.True(NativeHeap.KeepFreedMemory());
        Assert.True(NativeHeap.KeepFreedMemory()); // idempotent

        long mappedBefore = (long)MallInfo2().hblkhd;
        IntPtr block = Marshal.AllocHGlobal(20 << 20); // malloc on Linux; glibc's default would map it on its own
        try
        {
            Assert.Equal(mappedBefore, (long)MallInfo2().hblkhd);
        }
        finally
        {
            Marshal.FreeHGlobal(block);
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MallInfo
    {
        public nuint arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost;
    }

    [DllImport("libc", EntryPoint = "getenv")]
    private static extern IntPtr GetEnv(string name);

    [DllImport("libc", EntryPoint = "mallinfo2")]
    private static extern MallInfo MallInfo2();
}
