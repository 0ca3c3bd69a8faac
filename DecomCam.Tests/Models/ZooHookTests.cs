using DecomCamNet.Models;
using DecomCamNet.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Models;

/// <summary>Forward hooks fire through <c>model.call</c>, so every child is invoked with <c>call</c>, not <c>forward</c>.</summary>
public class ZooHookTests
{
    [Theory]
    [InlineData("resnet18", "layer4", new long[] { 2, 512, 2, 2 })]
    [InlineData("resnet50", "layer4", new long[] { 2, 2048, 2, 2 })]
    [InlineData("shapesnet", "block3", new long[] { 2, 64, 16, 16 })]
    [InlineData("scenenet", "block4", new long[] { 2, 128, 8, 8 })]
    [InlineData("vgg16", "features.29", new long[] { 2, 512, 4, 4 })]
    [InlineData("vgg11_bn", "features.27", new long[] { 2, 512, 4, 4 })]
    public void HookOnTargetLayerFiresAndItsOutputStaysValid(string name, string layer, long[] expectedShape)
    {
        using var scope = NewDisposeScope();
        using var model = ModelZoo.Create(name);
        var target = (nn.Module<Tensor, Tensor>)model.named_modules().Single(m => m.name == layer).module;
        int fired = 0;
        Tensor? captured = null;
        var remover = target.register_forward_hook((module, input, output) =>
        {
            fired++;
            captured = output.alias(); // a second handle: without gradients the model frees its own after use
            return output;
        });
        using var noGrad = no_grad();
        var x = DeterministicInit.Input([2, 3, 64, 64]);
        var logits = model.call(x);
        remover.remove();

        Assert.Equal(1, fired);
        Assert.NotNull(captured);
        // Still alive after the rest of the network ran, through the hook's own handle.
        Assert.Equal(expectedShape, captured!.shape);
        Assert.True(float.IsFinite(captured.sum().item<float>()));
        if (layer.StartsWith("features.", StringComparison.Ordinal) || layer == "block3" || layer == "layer4")
            Assert.True(captured.min().item<float>() >= 0f, "target layer output should be post-ReLU");

        model.call(x);
        Assert.Equal(1, fired); // removed
        Assert.Equal(2, logits.shape[0]);
    }

    [Theory]
    [InlineData("resnet18")]
    [InlineData("shapesnet")]
    [InlineData("vgg11_bn")]
    public void EveryModuleFires(string name)
    {
        using var scope = NewDisposeScope();
        using var model = ModelZoo.Create(name);
        var fired = new HashSet<string>();
        var removers = new List<Action>();
        foreach (var (moduleName, module) in model.named_modules())
        {
            var m = (nn.Module<Tensor, Tensor>)module;
            var n = moduleName;
            var r = m.register_forward_hook((_, _, output) => { fired.Add(n); return output; });
            removers.Add(r.remove);
        }
        using (no_grad())
            model.call(DeterministicInit.Input([1, 3, 64, 64]));
        foreach (var remove in removers)
            remove();
        var silent = model.named_modules().Select(m => m.name).Where(n => !fired.Contains(n)).ToList();
        Assert.True(silent.Count == 0, $"hooks never fired on: {string.Join(", ", silent)}");
    }

    [Fact]
    public void GradientsReachTheHookedActivation()
    {
        using var scope = NewDisposeScope();
        using var model = ModelZoo.Create("shapesnet");
        DeterministicInit.FillModule(model);
        var target = (nn.Module<Tensor, Tensor>)model.named_modules().Single(m => m.name == "block3").module;
        Tensor? activation = null;
        var remover = target.register_forward_hook((_, _, output) => { activation = output; return output; });
        var logits = model.call(DeterministicInit.Input([1, 3, 32, 32]));
        remover.remove();
        var grads = torch.autograd.grad([logits[0, 1]], [activation!]);
        Assert.Equal(activation!.shape, grads[0].shape);
        Assert.True(grads[0].abs().sum().item<float>() > 0f);
    }
}
