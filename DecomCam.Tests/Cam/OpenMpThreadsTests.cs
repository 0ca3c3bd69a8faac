using System.Runtime.InteropServices;
using DecomCamNet.Native;

namespace DecomCamNet.Tests.Cam;

public class OpenMpThreadsTests
{
    [Fact]
    public void PassiveWaitsAreAskedForInTheNativeEnvironmentUnlessSetAlready()
    {
        string? before = Marshal.PtrToStringUTF8(GetEnv("OMP_WAIT_POLICY"));
        Assert.True(OpenMpThreads.UsePassiveWaits());
        Assert.True(OpenMpThreads.UsePassiveWaits()); // idempotent
        Assert.Equal(before ?? "PASSIVE", Marshal.PtrToStringUTF8(GetEnv("OMP_WAIT_POLICY"))); // what OpenMP reads
    }

    [DllImport("libc", EntryPoint = "getenv")]
    private static extern IntPtr GetEnv(string name);
}
