using DecomCamNet.Native;
using static TorchSharp.torch;

namespace DecomCamNet.Benchmarks;

/// <summary>
/// A torchvision-layout ResNet run child by child, so that layer4's activation and its gradient come without any hook:
/// the floor of Grad-CAM (one forward with autograd and the backward from one class score to layer4's output).
/// </summary>
internal sealed class ResNetTrunk
{
    private static readonly string[] TrunkNames = { "conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4" };
    private readonly nn.Module<Tensor, Tensor>[] _trunk;
    private readonly nn.Module<Tensor, Tensor> _avgpool, _fc;
    private readonly long _classIndex;

    public ResNetTrunk(nn.Module<Tensor, Tensor> resnet, long classIndex)
    {
        var children = resnet.named_children().ToDictionary(c => c.name, c => (nn.Module<Tensor, Tensor>)c.module);
        _trunk = TrunkNames.Select(n => children[n]).ToArray();
        (_avgpool, _fc, _classIndex) = (children["avgpool"], children["fc"], classIndex);
    }

    /// <summary>Layer4's activation (detached) and the gradient of the class score with respect to it.</summary>
    public (Tensor Activation, Tensor Gradient) ActivationAndGradient(Tensor input)
    {
        using var mode = enable_grad();
        var activation = _trunk.Aggregate(input, (y, m) => m.call(y));
        using var classes = tensor(new[] { _classIndex });
        var score = _fc.call(_avgpool.call(activation).flatten(1)).gather(1, classes.unsqueeze(1)).squeeze(1);
        using var safe = LibTorchBackends.SafeBackward();
        var gradient = autograd.grad(new[] { score.sum() }, new[] { activation })[0];
        return (activation.detach(), gradient);
    }
}
