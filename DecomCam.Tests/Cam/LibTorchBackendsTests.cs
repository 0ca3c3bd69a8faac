using DecomCamNet.Models;
using DecomCamNet.Tests.Support;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Cam;

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
    public void SafeBackwardRestoresTheSwitch()
    {
        bool before = LibTorchBackends.OneDnnEnabled;
        using (LibTorchBackends.SafeBackward())
        {
            if (LibTorchBackends.CpuCachesUnknown) Assert.False(LibTorchBackends.OneDnnEnabled);
        }
        Assert.Equal(before, LibTorchBackends.OneDnnEnabled);
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
