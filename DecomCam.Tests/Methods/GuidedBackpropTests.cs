using DecomCamNet.Cam;
using DecomCamNet.Imaging;
using DecomCamNet.Native;
using DecomCamNet.Tests.Support;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Methods;

/// <summary>
/// Guided Backpropagation and Guided Grad-CAM beyond their final maps (GoldenMapTests): the guided gradient and the
/// product against the reference, an identity on ConvGapLinear, the model untouched after calls and failures, and the
/// models they cannot explain.
/// </summary>
public class GuidedBackpropTests
{
    [Theory]
    [InlineData("shapesnet")]
    [InlineData("shapesnet_block2")]
    [InlineData("resnet18")]
    [InlineData("demo")]
    public void GuidedGradientAndProductMatchTheReference(string model)
    {
        using var scope = NewDisposeScope();
        var (net, layer, input, targets) = GoldenMapTests.Load(model);
        using var gb = new GuidedBackprop(net, layer);
        using var ggc = new GuidedGradCam(net, layer);
        using var rb = gb.Explain(input, targets);
        using var rg = ggc.Explain(input, targets);
        // One float32 forward and backward (measured: 4e-7 of the largest entry): relative 1e-4 holds on any CPU and
        // thread count; an unguided ReLU or a wrong mask changes entries by their whole size.
        AssertRelativelyClose(Golden(model, "guidedbackprop_gradient"), rb.Intermediate("guided_gradient"), 1e-4f);
        AssertRelativelyClose(Golden(model, "guidedbackprop_gradient"), rg.Intermediate("guided_gradient"), 1e-4f);
        AssertRelativelyClose(Golden(model, "guidedgradcam_product"), rg.Intermediate("guided_gradcam"), 1e-4f);
    }

    [Fact]
    public void AnImagesGuidedGradientDoesNotDependOnTheBatch()
    {
        using var scope = NewDisposeScope();
        var (net, layer, input, targets) = GoldenMapTests.Load("resnet18");
        using var cam = new GuidedBackprop(net, layer);
        using var both = cam.Explain(input, targets);
        using var alone = cam.Explain(input[1..2], targets[1]);
        var g = both.Intermediate("guided_gradient")[1];
        // Kernels chosen by batch size round differently (1e-6 relative); a mask shared across rows would differ wholesale.
        Assert.True(TestTensors.MaxAbsDiff(g, alone.Intermediate("guided_gradient")[0]) < 1e-4f * g.abs().max().item<float>());
    }

    [Fact]
    public void OnAGapLinearHeadTheGuidedGradientIsThePlainGradientWithTheClassWeightsClampedAtZero()
    {
        // conv → ReLU → mean → fc: the gradient reaching the ReLU's output is W[c,k]/(h·w) everywhere, so guiding it keeps
        // max(W[c,k], 0)/(h·w): the plain gradient of the same model with the classifier's weights clamped at zero.
        using var scope = NewDisposeScope();
        var model = new ConvGapLinear(channels: 10);
        var clamped = new ConvGapLinear(channels: 10);
        using (no_grad()) clamped.fc.weight!.clamp_min_(0);
        var x = TestTensors.Batch(2, 18, 22);
        using var cam = new GuidedBackprop(model, "features");
        using var r = cam.Explain(x, new[] { 1, 4 });
        var expected = PlainInputGradient(clamped, x, new long[] { 1, 4 });
        float scale = expected.abs().max().item<float>();
        // A 3x3 convolution's backward in float32: relative 1e-5; the unguided gradient differs by 0.5 of the scale here.
        Assert.True(TestTensors.MaxAbsDiff(expected, r.Intermediate("guided_gradient")) < 1e-5f * scale);
        Assert.True(TestTensors.MaxAbsDiff(PlainInputGradient(model, x, new long[] { 1, 4 }), expected) > 0.1f * scale);
        Assert.True(TestTensors.MaxAbsDiff(expected.abs().amax(new long[] { 1 }), r.RawMaps[0]) < 1e-5f * scale);
    }

    [Theory]
    [InlineData("guidedbackprop")]
    [InlineData("guidedgradcam")]
    public void TheModelIsUnchangedAfterCallsAndFailures(string method)
    {
        using var scope = NewDisposeScope();
        var model = new ConvGapLinear(channels: 10);
        var x = TestTensors.Batch(1, 16, 16);
        var before = PlainInputGradient(model, x, new long[] { 2 });
        int hooks = TestTensors.ForwardHookCountInModel(model);
        using (var cam = MethodFactory.Create(method, model, "features"))
        {
            cam.Explain(x, 2).Dispose();
            var failing = CamTarget.Custom(o => o.sum(1).mean().unsqueeze(0).expand(2)); // wrong shape: throws after the forward
            Assert.Throws<CamException>(() => cam.Explain(x, failing));
            Assert.Equal(hooks + 1, TestTensors.ForwardHookCountInModel(model)); // the target layer's recorder only
        }
        Assert.Equal(hooks, TestTensors.ForwardHookCountInModel(model));
        Assert.Equal(0, TestTensors.ForwardHookCount((nn.Module)model.features[1]));
        // Same computation before and after (1e-6: oneDNN may be switched off by another thread's backward in between);
        // a ReLU left guided zeroes the negative class weights' share, 0.5 of the scale here.
        var after = PlainInputGradient(model, x, new long[] { 2 });
        Assert.True(TestTensors.MaxAbsDiff(before, after) < 1e-6f * before.abs().max().item<float>());
    }

    [Fact]
    public void AGuidedReluThatThrowsLeavesNoHook()
    {
        using var scope = NewDisposeScope();
        var model = new ConvGapLinear(channels: 6);
        Assert.Throws<InvalidOperationException>(() =>
            GuidedBackpropagation.InputGradient(model, TestTensors.Batch(1, 12, 12), _ => throw new InvalidOperationException("score failed")));
        Assert.Equal(0, TestTensors.ForwardHookCountInModel(model));
    }

    [Fact]
    public void ModelsWithoutReluModulesAreRejectedWithTheReason()
    {
        using var scope = NewDisposeScope();
        var noRelu = new ConvGapLinearWithoutRelu(functional: false);
        foreach (var method in new[] { "guidedbackprop", "guidedgradcam" })
            Assert.Contains("ReLU modules", Assert.Throws<ArgumentException>(() => MethodFactory.Create(method, noRelu, "conv")).Message);
        Assert.Equal(0, TestTensors.ForwardHookCountInModel(noRelu));
        var functional = new ConvGapLinearWithoutRelu(functional: true);
        using var cam = new GuidedBackprop(functional, "conv");
        Assert.Contains("No ReLU module ran", Assert.Throws<CamException>(() => cam.Explain(TestTensors.Batch(1, 12, 12), 0)).Message);
        Assert.Equal(1, TestTensors.ForwardHookCountInModel(functional));
    }

    [Fact]
    public void GuidedBackpropTakesNoEigenSmoothing()
    {
        var model = new ConvGapLinear();
        Assert.Contains("guidedbackprop", Assert.Throws<NotSupportedException>(() => new GuidedBackprop(model, "features") { EigenSmooth = true }).Message);
        Assert.Equal(0, TestTensors.ForwardHookCountInModel(model));   // the rejected method removed its hooks
        using var cam = new GuidedBackprop(model, "features") { EigenSmooth = false };
        Assert.False(cam.EigenSmooth);
        using var ggc = new GuidedGradCam(model, "features") { EigenSmooth = true };
        Assert.True(ggc.EigenSmooth);
    }

    /// <summary>d(Σ_i logit_i[c_i])/dx with the model's own ReLUs.</summary>
    private static Tensor PlainInputGradient(nn.Module<Tensor, Tensor> model, Tensor x, long[] classes)
    {
        using var grad = enable_grad();
        var xin = x.detach().requires_grad_(true);
        var score = model.call(xin).gather(1, tensor(classes).unsqueeze(1)).sum();
        using (LibTorchBackends.SafeBackward())
            return autograd.grad(new[] { score }, new[] { xin })[0].detach();
    }

    private static void AssertRelativelyClose(Tensor expected, Tensor actual, float relative)
    {
        Assert.Equal(expected.shape, actual.shape);
        float scale = expected.abs().max().item<float>();
        float diff = TestTensors.MaxAbsDiff(expected, actual);
        Assert.True(diff <= relative * scale, $"max abs diff {diff} > {relative} x {scale}");
    }

    private static Tensor Golden(string model, string name) => NpyFile.Read(RepoPaths.Golden("cam", $"{model}_{name}.npy"));

    /// <summary>conv → (functional ReLU, with an unused ReLU module, or none) → mean → fc.</summary>
    private sealed class ConvGapLinearWithoutRelu : nn.Module<Tensor, Tensor>
    {
        public readonly TorchSharp.Modules.Conv2d conv;
        public readonly TorchSharp.Modules.Linear fc;
        public readonly nn.Module<Tensor, Tensor>? unused;
        private readonly bool _functional;

        public ConvGapLinearWithoutRelu(bool functional) : base(nameof(ConvGapLinearWithoutRelu))
        {
            _functional = functional;
            conv = nn.Conv2d(3, 4, 3, padding: 1);
            fc = nn.Linear(4, 3);
            if (functional) unused = nn.ReLU();
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            var y = conv.call(x);
            return fc.call((_functional ? nn.functional.relu(y) : y).mean(new long[] { 2, 3 }));
        }
    }
}
