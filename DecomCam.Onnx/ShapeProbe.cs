using static TorchSharp.torch;

namespace DecomCamNet.Onnx;

/// <summary>
/// Measures every node's output shape by running the graph once on zeros, without gradients, through the node kernels
/// alone: no forward hook fires, so the probe neither feeds nor is changed by the hooks of a CAM call running on the same
/// model, and all its state is local, so it may run while other threads run forwards.
/// </summary>
internal static class ShapeProbe
{
    /// <summary>The first output's shape of each step of <paramref name="plan"/>, in run order.</summary>
    /// <param name="plan">The graph.</param>
    /// <param name="stored">The current stored values, in the plan's order.</param>
    /// <param name="declaredShape">The graph's declared input shape (-1 for a symbolic dimension).</param>
    /// <param name="inputShape">The shape to probe with; null for the declared one with a symbolic batch taken as 1.</param>
    /// <param name="device">Where the model's values live.</param>
    /// <exception cref="ArgumentException">No input shape is given and the declared one is not fixed.</exception>
    public static long[]?[] OutputShapes(ExecutionPlan plan, IReadOnlyList<Tensor> stored, IReadOnlyList<long> declaredShape, long[]? inputShape, Device device)
    {
        var shape = inputShape ?? declaredShape.Select((d, i) => i == 0 && d < 0 ? 1 : d).ToArray();
        if (shape.Length == 0 || shape.Any(d => d <= 0))
            throw new ArgumentException($"The graph's input shape [{string.Join(",", declaredShape)}] is not fixed; give one.", nameof(inputShape));
        var shapes = new long[]?[plan.Steps.Count];
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var input = zeros(shape, device: device);
        plan.Run(input, stored, hooks: false, observe: (i, output) => shapes[i] = output.shape).Dispose();
        return shapes;
    }
}
