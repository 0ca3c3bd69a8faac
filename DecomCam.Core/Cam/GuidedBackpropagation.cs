using DecomCamNet.Models;
using DecomCamNet.Native;
using static TorchSharp.torch;

namespace DecomCamNet.Cam;

/// <summary>
/// Guided Backpropagation (Springenberg et al., 2015): the gradient of a score with respect to the input, taken with every
/// ReLU's backward replaced by one that lets a gradient through only where the ReLU's input and the incoming gradient are
/// both positive. The ReLUs are the model's <see cref="TorchSharp.Modules.ReLU"/> modules (as pytorch-grad-cam replaces
/// <c>nn.ReLU</c> modules) and its <see cref="IRectifierLayer"/>s (an imported graph's Relu nodes); a rectifier applied
/// as a function inside a <c>forward</c> is not seen. The model itself is
/// not changed: forward hooks route each ReLU module's input through the guided rectifier during the one forward pass and
/// are removed afterwards, also when it throws.
/// </summary>
public static class GuidedBackpropagation
{
    /// <summary>The dotted names of the model's ReLU modules, in registration order.</summary>
    public static IReadOnlyList<string> ReluModules(nn.Module model) =>
        model.named_modules().Where(m => IsRelu(m.module)).Select(m => m.name).ToArray();

    private static bool IsRelu(nn.Module module) => module is TorchSharp.Modules.ReLU or IRectifierLayer { IsRectifier: true };

    /// <summary>
    /// d score / d input [M,C,H,W] with guided ReLUs, for <paramref name="input"/> [M,C,H,W] and
    /// <paramref name="score"/>, which maps the model output to one differentiable score per row [M].
    /// </summary>
    /// <exception cref="ArgumentException">The model has no ReLU module.</exception>
    /// <exception cref="CamException">No ReLU module ran during the forward pass, or the score does not depend on the input.</exception>
    public static Tensor InputGradient(nn.Module<Tensor, Tensor> model, Tensor input, Func<Tensor, Tensor> score)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(score);
        var relus = model.named_modules().Select(m => m.module).Where(IsRelu).OfType<nn.Module<Tensor, Tensor>>().Distinct().ToArray();
        if (relus.Length == 0)
            throw new ArgumentException("Guided Backpropagation needs ReLU modules (TorchSharp.Modules.ReLU, or an imported graph's Relu nodes) to guide; the model has none.", nameof(model));
        int fired = 0;
        var removers = new List<nn.Module<Tensor, Tensor>.HookRemover>();
        using var scope = NewDisposeScope();
        try
        {
            foreach (var relu in relus)
                removers.Add(relu.register_forward_hook((_, reluInput, _) =>
                {
                    fired++;
                    return GuidedReluFunction.apply(reluInput);
                }));
            using var grad = enable_grad();
            var x = input.detach().requires_grad_(true);
            var output = model.call(x);
            if (fired == 0)
                throw new CamException("No ReLU module ran during the forward pass: the model applies its rectifiers as functions " +
                    "(or calls children with forward() instead of call()), so Guided Backpropagation cannot guide them.");
            IList<Tensor> grads;
            using (LibTorchBackends.SafeBackward())
                grads = autograd.grad(new[] { score(output).sum() }, new[] { x }, allow_unused: true);
            if (grads[0] is null || grads[0].IsInvalid)
                throw new CamException("The target score does not depend on the input (no input gradient).");
            return grads[0].detach().MoveToOuterDisposeScope();
        }
        finally
        {
            foreach (var r in removers) r.remove();
        }
    }
}
