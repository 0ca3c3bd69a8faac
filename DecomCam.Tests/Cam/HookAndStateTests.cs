using DecomCamNet.Cam;
using DecomCamNet.Tests.Support;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Cam;

public class HookAndStateTests
{
    [Fact]
    public void DisposeRemovesEveryHook()
    {
        using var scope = NewDisposeScope();
        var model = new ConvGapLinear();
        var cam = new GradCam(model, new CamLayer[] { "features", model.features, "features.conv" });
        Assert.Equal(2, TestTensors.ForwardHookCount(model.features));
        Assert.Equal(1, TestTensors.ForwardHookCount((nn.Module)model.features[0]));
        cam.Explain(TestTensors.Batch(1, 8, 8)).Dispose();
        cam.Dispose();
        cam.Dispose();
        Assert.Equal(0, TestTensors.ForwardHookCount(model.features));
        Assert.Equal(0, TestTensors.ForwardHookCount((nn.Module)model.features[0]));
    }

    [Fact]
    public void BadLayerInConstructorRegistersNoHook()
    {
        var model = new ConvGapLinear();
        Assert.Throws<ArgumentException>(() => new GradCam(model, new CamLayer[] { "features", "nope" }));
        Assert.Equal(0, TestTensors.ForwardHookCount(model.features));
    }

    [Fact]
    public void TrainingFlagsAndRequiresGradAreRestored()
    {
        using var scope = NewDisposeScope();
        var model = MixedStateModel();
        using var cam = new GradCam(model, "features");
        cam.Explain(TestTensors.Batch(1, 8, 8)).Dispose();
        AssertState(model);
    }

    [Fact]
    public void StateIsRestoredAfterAnException()
    {
        using var scope = NewDisposeScope();
        var model = MixedStateModel();
        using var cam = new GradCam(model, "features");
        Assert.Throws<ArgumentOutOfRangeException>(() => cam.Explain(TestTensors.Batch(1, 8, 8), 99));
        AssertState(model);
        Assert.Equal(1, TestTensors.ForwardHookCount(model.features));
    }

    [Fact]
    public void ModelStateRestoresEveryFlagChangedInsideIt()
    {
        var model = MixedStateModel();
        using (ModelState.Capture(model))
        {
            model.eval();
            model.fc.weight!.requires_grad = true;
            model.fc.bias!.requires_grad = false;
            Assert.False(model.features.training);
        }
        AssertState(model);
    }

    [Fact]
    public void ExplainLeaksNoTensors()
    {
        var model = new ConvGapLinear();
        using var x = TestTensors.Batch(2, 8, 8);
        using var cam = new GradCam(model, "features");
        cam.Explain(x).Dispose(); // warm-up: lazily created module state
        long before = TestTensors.LiveTensors;
        for (int i = 0; i < 3; i++) cam.Explain(x, new[] { 0, 1 }).Dispose();
        Assert.Equal(before, TestTensors.LiveTensors);
        Assert.Throws<ArgumentOutOfRangeException>(() => cam.Explain(x, 42));
        Assert.Equal(before, TestTensors.LiveTensors);
    }

    /// <summary>Training mode except <c>gap</c>, and <c>fc.weight</c> frozen: every flag that must come back as it was.</summary>
    private static ConvGapLinear MixedStateModel()
    {
        var model = new ConvGapLinear();
        model.train();
        model.gap.eval();
        model.fc.weight!.requires_grad = false;
        return model;
    }

    private static void AssertState(ConvGapLinear model)
    {
        Assert.True(model.training);
        Assert.True(model.features.training);
        Assert.False(model.gap.training);
        Assert.False(model.fc.weight!.requires_grad);
        Assert.True(model.fc.bias!.requires_grad);
    }
}
