using DecomCamNet.Native;

namespace DecomCamNet.Tests.Support;

/// <summary>
/// Takes the oneDNN guards' paths (<see cref="LibTorchBackends.CpuCachesUnknown"/>) on any machine until disposed, so
/// their tests assert the same thing on CPUs with and without cache sizes. Process-wide: use it only in
/// <see cref="OneDnnSwitchCollection"/>.
/// </summary>
internal sealed class AssumedUnknownCaches : IDisposable
{
    private readonly bool _previous = LibTorchBackends.AssumeCpuCachesUnknown;

    public AssumedUnknownCaches() => LibTorchBackends.AssumeCpuCachesUnknown = true;

    public void Dispose() => LibTorchBackends.AssumeCpuCachesUnknown = _previous;
}
