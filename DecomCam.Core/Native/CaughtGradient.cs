using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace DecomCamNet.Native;

/// <summary>
/// A gradient whose libtorch error comes back as a result instead of ending the process. TorchSharp 0.107's
/// <c>autograd.grad</c> calls libtorch with no native try/catch (<c>THSAutograd_grad</c>): an error raised while it runs,
/// such as "derivative for aten::_scaled_dot_product_flash_attention_for_cpu_backward is not implemented" when a gradient
/// built with <c>create_graph</c> is differentiated once more through the CPU <c>scaled_dot_product_attention</c>, unwinds
/// into managed frames, <c>std::terminate</c> runs and the process aborts (SIGABRT) with no .NET exception to catch.
/// <c>autograd.backward</c> is wrapped (<c>THSAutograd_backward</c>): the same error becomes an
/// <see cref="ExternalException"/>. <see cref="TryTake"/> therefore runs <c>backward</c> restricted to one tensor
/// (<c>inputs</c>) and reads that tensor's <c>grad</c>, which it leaves as it found it; nothing else accumulates a gradient.
/// (An intermediate tensor's <c>grad</c> is read only once backward has filled it: libtorch warns on stderr when an
/// empty one is read.)
/// Use it where a model may lack a derivative: a second derivative, or a gradient through a user's model.
/// </summary>
public static class CaughtGradient
{
    /// <summary>
    /// The gradient of the scalar <paramref name="output"/> with respect to <paramref name="input"/> (a leaf or an
    /// intermediate tensor that requires a gradient), or null with libtorch's message in <paramref name="error"/> when some
    /// operation between them has no derivative. The graph is freed (no <c>retain_graph</c>, no <c>create_graph</c>).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="output"/> is not a scalar, or <paramref name="input"/> does not require a gradient.</exception>
    public static Tensor? TryTake(Tensor output, Tensor input, out string? error)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(input);
        if (output.numel() != 1)
            throw new ArgumentException($"Expected a scalar to differentiate, got shape [{string.Join(", ", output.shape)}].", nameof(output));
        if (!input.requires_grad)
            throw new ArgumentException("The tensor to differentiate with respect to does not require a gradient.", nameof(input));
        var previous = input.is_leaf ? input.grad : null;
        if (previous is not null) input.grad = null;
        try
        {
            autograd.backward(new[] { output }, inputs: new[] { input });
            error = null;
            return input.grad ?? zeros_like(input);
        }
        catch (ExternalException e)
        {
            error = e.Message.Split('\n', 2)[0].Trim();
            return null;
        }
        finally
        {
            input.grad = previous;
        }
    }
}
