using static TorchSharp.torch;

namespace DecomCamNet.Cam;

/// <summary>
/// The layers a CAM can explain in any model: every named submodule that maps a tensor to a feature map
/// <c>[N,C,h,w]</c>, directly or through an <see cref="ActivationReshape"/> (transformer tokens), with its output shape,
/// found by one forward pass of zeros in evaluation mode without gradients
/// (hooks on every single-tensor submodule, removed afterwards; the model's flags are restored). This is what a
/// <c>--list-layers</c> prints for a zoo model; an ONNX model lists its nodes by their ONNX names instead.
/// </summary>
public static class LayerShapes
{
    /// <summary>The feature-map layers of <paramref name="model"/> in the order they ran, with their output shapes for an input of <paramref name="inputShape"/> (a module that runs twice reports its last output).</summary>
    /// <exception cref="ArgumentException">The input shape has a non-positive dimension.</exception>
    public static IReadOnlyList<(string Name, long[] Shape)> FeatureMaps(nn.Module<Tensor, Tensor> model, long[] inputShape) =>
        Explainable(model, inputShape, ActivationReshape.None).Select(l => (l.Name, l.OutputShape)).ToArray();

    /// <summary>
    /// The layers of <paramref name="model"/> that <paramref name="reshape"/> turns into a feature map (transformer
    /// tokens <c>[N,T,C]</c> under <see cref="ActivationReshape.Vit"/>, grids <c>[N,h,w,C]</c> under
    /// <see cref="ActivationReshape.Swin"/>), and those whose output is a feature map as it is, in the order they ran,
    /// with their output and feature-map shapes for an input of <paramref name="inputShape"/> (a module that runs twice
    /// reports its last output).
    /// </summary>
    /// <exception cref="ArgumentException">The input shape has a non-positive dimension.</exception>
    public static IReadOnlyList<LayerShape> Explainable(nn.Module<Tensor, Tensor> model, long[] inputShape, ActivationReshape reshape)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputShape);
        ArgumentNullException.ThrowIfNull(reshape);
        if (inputShape.Length == 0 || inputShape.Any(d => d <= 0))
            throw new ArgumentException($"Input shape [{string.Join(",", inputShape)}] must have positive dimensions.", nameof(inputShape));
        var layers = new Dictionary<string, LayerShape?>();
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
                    if (!layers.ContainsKey(name)) order.Add(name);
                    layers[name] = Describe(name, output, inputShape, reshape);
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
        return order.Select(n => layers[n]).OfType<LayerShape>().ToArray();
    }

    /// <summary>
    /// The layer's feature map under <paramref name="reshape"/>, else as it is, else null. Every 4-D output fits a
    /// channels-last reshape's shape check, so under one a 4-D output counts as a grid <c>[N,h,w,C]</c> only where h and
    /// w divide the input's height and width by about the same factor (a convolution's <c>[N,C,h,w]</c>, attention
    /// probabilities and pooled outputs do not): the listing then shows what a CAM would see.
    /// </summary>
    private static LayerShape? Describe(string name, Tensor output, long[] inputShape, ActivationReshape reshape)
    {
        foreach (var candidate in new[] { reshape, ActivationReshape.None }.Distinct())
        {
            if (candidate.Layout == ActivationLayout.ChannelsLastGrid && !IsGridOfInput(output.shape, inputShape))
                continue;
            try
            {
                return new LayerShape(name, output.shape, candidate.ToFeatureMap(output, inputShape[0], name).shape, candidate);
            }
            catch (CamException)
            {
                // Not a feature map under this reshape: try the next, or leave the layer out.
            }
        }
        return null;
    }

    private static bool IsGridOfInput(long[] shape, long[] inputShape) =>
        shape.Length == 4 && inputShape.Length == 4 &&
        Math.Round(inputShape[2] / (double)shape[1]) == Math.Round(inputShape[3] / (double)shape[2]);
}
