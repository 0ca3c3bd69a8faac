using DecomCamNet.Models;
using DecomCamNet.Native;
using DecomCamNet.Tests.Support;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Cam;

/// <summary>The oneDNN switch and its scopes: process-wide, so alone (<see cref="OneDnnSwitchCollection"/>).</summary>
[Collection(OneDnnSwitchCollection.Name)]
public class LibTorchBackendsTests
{
    [Fact]
    public void OneDnnSwitchRoundTrips()
    {
        bool before = LibTorchBackends.OneDnnEnabled;
        try
        {
            LibTorchBackends.OneDnnEnabled = false;
            Assert.False(LibTorchBackends.OneDnnEnabled);
            LibTorchBackends.OneDnnEnabled = true;
            Assert.True(LibTorchBackends.OneDnnEnabled);
        }
        finally
        {
            LibTorchBackends.OneDnnEnabled = before;
        }
    }

    [Fact]
    public void SafeBackwardTurnsOneDnnOffWhereCachesAreUnknownAndRestoresIt()
    {
        bool before = LibTorchBackends.OneDnnEnabled;
        try
        {
            LibTorchBackends.OneDnnEnabled = true;
            using (new AssumedUnknownCaches())
            using (LibTorchBackends.SafeBackward())
                Assert.False(LibTorchBackends.OneDnnEnabled);
            Assert.True(LibTorchBackends.OneDnnEnabled);
        }
        finally
        {
            LibTorchBackends.OneDnnEnabled = before;
        }
    }

    /// <summary>Overlapping scopes (two threads' backward passes) keep oneDNN off until the last ends; none waits.</summary>
    [Fact]
    public async Task OverlappingScopesKeepOneDnnOffUntilTheLastEnds()
    {
        bool before = LibTorchBackends.OneDnnEnabled;
        try
        {
            LibTorchBackends.OneDnnEnabled = true;
            var first = LibTorchBackends.WithoutOneDnn();
            // A lock held by the first scope would block the other thread: the wait would time out.
            var second = await Task.Run(LibTorchBackends.WithoutOneDnn).WaitAsync(TimeSpan.FromSeconds(30));
            first.Dispose();
            first.Dispose(); // idempotent: does not end the other scope
            Assert.False(LibTorchBackends.OneDnnEnabled);
            LibTorchBackends.OneDnnEnabled = true; // while a scope is open: the value restored when the last ends
            Assert.False(LibTorchBackends.OneDnnEnabled);
            second.Dispose();
            Assert.True(LibTorchBackends.OneDnnEnabled);
        }
        finally
        {
            LibTorchBackends.OneDnnEnabled = before;
        }
    }

    /// <summary>
    /// Regression: on VMs whose CPU reports no cache sizes, the backward pass through ResNet-50's strided 1x1 convolutions
    /// killed the test host with SIGFPE inside oneDNN. With the guard it must simply work.
    /// </summary>
    [Fact]
    public void GradientsThroughResNet50StridedConvolutionsDoNotCrash()
    {
        using var scope = NewDisposeScope();
        var model = ModelZoo.Create("resnet50");
        using var cam = new GradCam(model, "layer3");
        using var result = cam.Explain(TestTensors.Batch(1, 96, 96), 7);
        Assert.Equal(new long[] { 1, 96, 96 }, result.Maps.shape);
        Assert.Equal(0, isnan(result.Maps).sum().item<long>());
    }
}
