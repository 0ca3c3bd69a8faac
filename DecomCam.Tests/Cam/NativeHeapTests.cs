using System.Runtime.InteropServices;

namespace DecomCamNet.Tests.Cam;

public class NativeHeapTests
{
    [Fact]
    public void BlocksUpTo32MiBComeFromTheHeapAfterwards()
    {
        Assert.True(NativeHeap.TuneForLibTorch());
        Assert.True(NativeHeap.TuneForLibTorch()); // idempotent
        Assert.Equal("1", Marshal.PtrToStringUTF8(GetEnv("THP_MEM_ALLOC_ENABLE"))); // the native environment libtorch reads

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
