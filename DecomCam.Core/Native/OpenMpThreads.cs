namespace DecomCamNet.Native;

/// <summary>
/// How libtorch's OpenMP worker threads wait between parallel regions. By default they spin, which is a little faster
/// on an idle machine and much slower when another process wants the same cores: with one CPU-bound process beside it on
/// the project's 2-core VM, Score-CAM on ResNet-18 took 35 s spinning and 18 s with passive waits, DecomCAM 0.99 s and
/// 0.48 s; idle, passive waits cost 5 to 10% (9.8 s against 9.0 s, 0.25 s against 0.24 s).
/// </summary>
public static class OpenMpThreads
{
    /// <summary>
    /// Sets <c>OMP_WAIT_POLICY=PASSIVE</c> in the native environment unless it is set already. OpenMP reads it when
    /// libtorch loads, so call this before the first TorchSharp call. The <c>decomcam</c> command line calls it
    /// (<c>--spin-threads</c> leaves the default).
    /// </summary>
    /// <returns>True on Linux and macOS (the variable is set); false elsewhere, where nothing changes.</returns>
    public static bool UsePassiveWaits() =>
        (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()) && NativeEnvironment.SetIfUnset("OMP_WAIT_POLICY", "PASSIVE");
}
