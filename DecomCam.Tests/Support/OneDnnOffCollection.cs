using DecomCamNet.Native;

namespace DecomCamNet.Tests.Support;

/// <summary>
/// Tests that compare convolution outputs with another engine (ONNX Runtime) to 1e-4. On virtual machines whose CPU
/// reports no cache sizes, libtorch 2.10's oneDNN forward convolution is wrong for some shapes: a 3x3 convolution from
/// 24 channels on a batch of 2 or more differs from the same images one at a time by up to 5 (measured on an AMD EPYC
/// VM; batch 1, and 64 channels, agree to 1e-4). The collection turns oneDNN off on such machines, and runs alone
/// because the switch is process-wide.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class OneDnnOffCollection : ICollectionFixture<OneDnnOffCollection.Switch>
{
    public const string Name = "oneDNN off where CPU caches are unknown";

    public sealed class Switch : IDisposable
    {
        private readonly bool _previous = LibTorchBackends.OneDnnEnabled;

        public Switch()
        {
            if (LibTorchBackends.CpuCachesUnknown) LibTorchBackends.OneDnnEnabled = false;
        }

        public void Dispose() => LibTorchBackends.OneDnnEnabled = _previous;
    }
}
