using DecomCamNet.Clip.Models;
using DecomCamNet.Tests.Support;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Clip;

/// <summary>CLIP's image encoders free their intermediates in forwards without gradients, as the zoo's CNNs do.</summary>
public class ClipIntermediateReleaseTests
{
    [Theory]
    [InlineData(false, 1)] // the embedding alone
    [InlineData(true, 3)] // the embedding and two small tensors of the ViT path that stay until the scope ends
    public void NoGradImageForwardLeavesOnlyItsOutput(bool vit, long left)
    {
        using var scope = NewDisposeScope();
        var config = vit
            ? new ClipConfig(32, 64, new[] { 2 }, 64, 16, 77, 49408, 32, 2, 1)
            : new ClipConfig(32, 128, new[] { 1, 1, 1, 1 }, 8, null, 77, 49408, 32, 2, 1);
        using var clip = DeterministicInit.FillModule(new ClipModel(config));
        clip.eval();
        var x = DeterministicInit.Input(new long[] { 2, 3, config.ImageResolution, config.ImageResolution });

        long before = TestTensors.LiveTensors;
        Tensor withoutGradients;
        using (no_grad())
            withoutGradients = clip.call(x);
        long heldWithout = TestTensors.LiveTensors - before;
        before = TestTensors.LiveTensors;
        var withGradients = clip.call(x);
        long heldWith = TestTensors.LiveTensors - before;

        Assert.Equal(left, heldWithout);
        Assert.True(heldWith > 10, $"under gradients the intermediates stay: {heldWith} tensors");
        Assert.Equal(0f, TestTensors.MaxAbsDiff(withGradients.detach(), withoutGradients));
    }
}
