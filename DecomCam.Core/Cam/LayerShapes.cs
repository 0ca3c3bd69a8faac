using static TorchSharp.torch;

namespace DecomCamNet.Cam;

/// <summary>
/// The layers a CAM can explain in any model: every named submodule that maps a tensor to a feature map
/// <c>[N,C,h,w]</c>, with its output shape, found by one forward pass of zeros in evaluation mode without gradients
/// (hooks on every single-tensor submodule, removed afterwards; the model's flags are restored). This is what a
/// <c>--list-layers</c> prints for a zoo model; an ONNX model lists its nodes by their ONNX names instead.
/// </summary>
public static class LayerShapes
{
    /// <summary>The feature-map layers of <paramref name="model"/> in the order they ran, with their output shapes for an input of <paramref name="inputShape"/> (a module that runs twice reports its last output).</summary>
    /// <exception cref="ArgumentException">The input shape has a non-positive dimension.</exception>
    public static IReadOnlyList<(string Name, long[] Shape)> FeatureMaps(nn.Module<Tensor, Tensor> model, long[] inputShape)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputShape);
        if (inputShape.Length == 0 || inputShape.Any(d => d <= 0))
            throw new ArgumentException($"Input shape [{string.Join(",", inputShape)}] must have positive dimensions.", nameof(inputShape));
        var shapes = new Dictionary<string, long[]>();
        var order = new List<string>();
        var removers = new List<nn.Module<Tensor, Tensor>.HookRemover>();
        using var state = ModelState.Capture(model);
        try
        {
            foreach (var (name, module) in model.named_modules())
            {
                if (name.Length == 0 || module is not nn.Module<Tensor, Tensor> hookable) continue;
                removers.Add(hookable.register_forward_hook((_, _, output) =>
                {
                    if (shapes.TryAdd(name, output.shape)) order.Add(name);
                    else shapes[name] = output.shape;
                    return null!;
                }));
            }
            model.eval();
            var device = model.parameters().FirstOrDefault()?.device ?? CPU;
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            model.call(zeros(inputShape, device: device));
        }
        finally
        {
            foreach (var r in removers) r.remove();
        }
        return order.Where(n => shapes[n].Length == 4).Select(n => (n, shapes[n])).ToArray();
    }
}
