using DecomCamNet.Cam;
using DecomCamNet.Models;
using DecomCamNet.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Models;

/// <summary>
/// Zoo models free each intermediate once its consumer has run when no gradient is recorded, keep them under
/// gradients, never free the caller's input, and hooks still see (and keep) the outputs they record or replace.
/// </summary>
public class IntermediateReleaseTests
{
    [Theory]
    [InlineData("resnet18")]
    [InlineData("resnet50")]
    [InlineData("vgg11_bn")]
    [InlineData("shapesnet")]
    [InlineData("scenenet")]
    public void NoGradForwardLeavesOnlyItsOutput(string name)
    {
        using var scope = NewDisposeScope();
        using var model = ModelZoo.Create(name);
        model.eval();
        var x = DeterministicInit.Input([2, 3, 64, 64]);

        long before = TestTensors.LiveTensors;
        using (no_grad())
            model.call(x);
        long withoutGradients = TestTensors.LiveTensors - before;

        before = TestTensors.LiveTensors;
        model.call(x);
        long withGradients = TestTensors.LiveTensors - before;

        Assert.Equal(1, withoutGradients); // the logits alone
        Assert.True(withGradients > 10, $"under gradients the intermediates stay: {withGradients} tensors");
        Assert.Equal(2, x.shape[0]); // the caller's input is still usable
    }

    [Theory]
    [InlineData("resnet18", "layer4.1.conv1")]
    [InlineData("resnet50", "layer3.2.bn2")]
    [InlineData("vgg11_bn", "features.4")]
    [InlineData("scenenet", "block2.0")]
    public void RecordedInnerOutputsAreTheOnesComputedUnderGradients(string name, string layer)
    {
        using var scope = NewDisposeScope();
        using var model = ModelZoo.Create(name);
        DeterministicInit.FillModule(model);
        model.eval();
        var x = DeterministicInit.Input([2, 3, 64, 64]);
        using var recorder = new ActivationRecorder(model, new CamLayer[] { layer });

        recorder.Start();
        var logitsWithGradients = model.call(x).detach();
        var withGradients = recorder.CollectOutputs()[0].detach();
        recorder.Start();
        Tensor logits;
        using (no_grad())
            logits = model.call(x);
        var recorded = recorder.CollectOutputs()[0];
        recorder.Stop();

        Assert.Equal(withGradients.shape, recorded.shape);
        Assert.Equal(0f, TestTensors.MaxAbsDiff(withGradients, recorded));
        Assert.Equal(0f, TestTensors.MaxAbsDiff(logitsWithGradients, logits));
    }

    [Fact]
    public void AReplacedLayerOutputSurvivesTheForwardsThatUseIt()
    {
        using var scope = NewDisposeScope();
        using var model = ModelZoo.Create("resnet18");
        DeterministicInit.FillModule(model);
        model.eval();
        var layer = (nn.Module<Tensor, Tensor>)model.named_modules().Single(m => m.name == "layer4.0").module;
        using var replaced = new LayerOutputOverride(layer);
        var replacement = ones(2, 512, 2, 2);
        replaced.Replacement = replacement;

        using var noGrad = no_grad();
        var first = model.call(DeterministicInit.Input([2, 3, 64, 64]));
        var second = model.call(zeros(2, 3, 64, 64)); // the layers before it differ; the replacement decides

        Assert.Equal(4096f, replacement.sum().item<float>());
        Assert.Equal(0f, TestTensors.MaxAbsDiff(first, second));
    }

    [Fact]
    public void AStepThatReturnsItsInputIsNotFreed()
    {
        using var scope = NewDisposeScope();
        using var model = new HookSafeSequential(nn.Linear(4, 4), new PassThrough(), nn.Linear(4, 2));
        using var noGrad = no_grad();
        var output = model.call(ones(3, 4));
        Assert.Equal(new long[] { 3, 2 }, output.shape);
    }

    [Fact]
    public void ReleaseFreesOnlyWithoutGradientsAndNeverTheInput()
    {
        using var scope = NewDisposeScope();
        var input = ones(2);
        var dead = ones(2);
        IntermediateRelease.For(input).Release(dead);
        Assert.False(dead.IsInvalid); // gradients are on: nothing is freed

        using var noGrad = no_grad();
        var free = IntermediateRelease.For(input);
        Assert.True(free.Frees);
        free.Release(input);
        free.Release(dead);
        Assert.False(input.IsInvalid);
        Assert.True(dead.IsInvalid);
    }

    private sealed class PassThrough() : nn.Module<Tensor, Tensor>(nameof(PassThrough))
    {
        public override Tensor forward(Tensor input) => input;
    }
}
