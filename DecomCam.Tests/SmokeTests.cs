using static TorchSharp.torch;

namespace DecomCamNet.Tests;

public class SmokeTests
{
    [Fact]
    public void LibTorchLoadsAndComputes()
    {
        using var a = ones(2, 2);
        Assert.Equal(4f, a.sum().item<float>());
    }
}
