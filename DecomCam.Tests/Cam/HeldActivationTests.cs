using DecomCamNet.Cam;
using DecomCamNet.Models;
using DecomCamNet.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Cam;

/// <summary>The CPU masked batch is sized from the largest activation and from what a batch really holds at once.</summary>
public class HeldActivationTests
{
    [Fact]
    public void AZooResNetHoldsAFewLayerOutputsPerInput()
    {
        using var scope = NewDisposeScope();
        using var model = ModelZoo.Create("resnet50");
        model.eval();
        using var noGrad = no_grad();
        using var probe = new LargestActivationProbe(model, 2);
        model.call(zeros(2, 3, 224, 224));

        Assert.Equal(64L * 112 * 112 * 4, probe.BytesPerRow); // the stem's output
        // At the end of layer1's bn3: the block's input, conv3's output and bn3's own (256x56x56 each, the stem's size),
        // plus layer1's input (the max-pool's 64x56x56), which its container keeps until it returns.
        Assert.Equal(3 * probe.BytesPerRow + 64L * 56 * 56 * 4, probe.HeldBytesPerRow);
    }

    [Fact]
    public void AModelThatKeepsItsIntermediatesHoldsThemAll()
    {
        using var scope = NewDisposeScope();
        using var model = new KeepsEverything();
        using var noGrad = no_grad();
        using var probe = new LargestActivationProbe(model, 4);
        model.call(ones(4, 10));

        Assert.Equal(20L * 4, probe.BytesPerRow);
        Assert.Equal((20L + 20 + 5) * 4, probe.HeldBytesPerRow); // a, b and the output, all alive at the end
    }

    [Fact]
    public void UnderGradientsHeldIsNotMeasured()
    {
        using var scope = NewDisposeScope();
        using var model = new KeepsEverything();
        using var probe = new LargestActivationProbe(model, 4);
        model.call(ones(4, 10));
        Assert.Equal(20L * 4, probe.BytesPerRow);
        Assert.Equal(0, probe.HeldBytesPerRow);
    }

    [Theory]
    [InlineData(64L * 112 * 112 * 4, 0L, 10)] // a 224-px ResNet's stem, held unknown: the activation budget alone
    [InlineData(64L * 112 * 112 * 4, 13L * 64 * 56 * 56 * 4, 10)] // the zoo ResNet-50, which frees its intermediates
    [InlineData(64L * 112 * 112 * 4, 214L << 20, 2)] // a ResNet-50 that keeps every layer's output
    [InlineData(1024L, 1L << 20, 32)] // small activations: the cap
    [InlineData(64L << 20, 0L, 1)] // one input's activation over the budget: still one
    public void CpuBatchSizeKeepsBothBudgets(long largest, long held, int expected) =>
        Assert.Equal(expected, MaskedForwards.CpuBatchSize(largest, held));

    private sealed class KeepsEverything : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> a = nn.Linear(10, 20);
        private readonly nn.Module<Tensor, Tensor> b = nn.Linear(20, 20);
        private readonly nn.Module<Tensor, Tensor> c = nn.Linear(20, 5);

        public KeepsEverything() : base(nameof(KeepsEverything)) => RegisterComponents();

        public override Tensor forward(Tensor input) => c.call(b.call(a.call(input)));
    }
}
