using DecomCamNet.Native;

using static TorchSharp.torch;

namespace DecomCamNet.Cam;

/// <summary>
/// The rectifier of Guided Backpropagation as an autograd function: forward y = max(x, 0); backward passes a gradient
/// only where both the forward input and the incoming gradient are positive, dL/dx = max(dL/dy, 0) ⊙ [x &gt; 0].
/// </summary>
internal sealed class GuidedReluFunction : autograd.SingleTensorFunction<GuidedReluFunction>
{
    /// <inheritdoc />
    public override string Name => nameof(GuidedReluFunction);

    /// <inheritdoc />
    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var y = ((Tensor)vars[0]).relu();
        ctx.save_for_backward(new List<Tensor> { y });
        return y;
    }

    /// <inheritdoc />
    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
    {
        using var y = ctx.get_saved_variables()[0];
        using var passes = y.gt(CachedScalars.Zero).logical_and_(grad_output.gt(CachedScalars.Zero));
        using var gradient = grad_output.mul(passes);
        // Contiguous: returned with the strides of CLIP's attention-pool gradient (tokens [H,W,N,C]), an image's guided
        // gradient differed from its own alone by more than its scale, in float64 too (TorchSharp 0.107, libtorch 2.10);
        // returned contiguous, the two agree to 1e-16. ClipPromptTests holds the case.
        return new List<Tensor> { gradient.contiguous() };
    }
}
