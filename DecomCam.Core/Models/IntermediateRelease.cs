using DecomCamNet.Native;
using static TorchSharp.torch;

namespace DecomCamNet.Models;

/// <summary>
/// Frees a forward's intermediate tensors as soon as the step that consumes them has run, when no gradient is being
/// recorded, as PyTorch frees a tensor once nothing uses it. In TorchSharp an intermediate otherwise lives until its
/// dispose scope ends, so a batch would hold every layer's output at once. Under gradients nothing is freed (the
/// backward pass and the hooks that take gradients keep what they need).
/// </summary>
/// <remarks>
/// <para>Take one at the top of <c>forward</c> and route every step through it; the forward's own input is never
/// freed (it belongs to the caller), and neither is a step's result when the step returns the very handle it was given.
/// A residual block:</para>
/// <code>
/// public override Tensor forward(Tensor input)
/// {
///     var free = IntermediateRelease.For(input);
///     var y = free.Chain(input, conv1, bn1, relu, conv2, bn2);
///     var shortcut = downsample is null ? input : free.Chain(input, downsample);
///     return free.Then(free.Add(y, shortcut), relu);
/// }
/// </code>
/// <para>What is freed is the model's handle to a layer output, after the next step has read it. A forward hook that
/// keeps a layer's output beyond the forward must therefore keep a second handle (<c>output.alias()</c>, as
/// <c>DecomCamNet.Cam.ActivationRecorder</c> does), exactly as with TorchSharp's own <c>Sequential</c>; the tensor's
/// memory then lives as long as that handle. <see cref="HookSafeSequential"/> and the model zoo free their
/// intermediates this way.</para>
/// </remarks>
public readonly struct IntermediateRelease
{
    private readonly Tensor? _input;
    private readonly bool _frees;

    private IntermediateRelease(Tensor input, bool frees)
    {
        _input = input;
        _frees = frees;
    }

    /// <summary>Whether this forward frees its intermediates: true when no gradient was being recorded at <see cref="For"/>.</summary>
    public bool Frees => _frees;

    /// <summary>The release policy for a forward of <paramref name="input"/>: frees intermediates when gradients are off.</summary>
    /// <param name="input">The forward's own input, which is never freed.</param>
    public static IntermediateRelease For(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new IntermediateRelease(input, !is_grad_enabled());
    }

    /// <summary>
    /// Applies <paramref name="module"/> to <paramref name="x"/> through <c>call</c> (forward hooks fire), then frees
    /// <paramref name="x"/> (see <see cref="Release"/>).
    /// </summary>
    /// <returns>The module's output.</returns>
    public Tensor Then(Tensor x, nn.Module<Tensor, Tensor> module)
    {
        ArgumentNullException.ThrowIfNull(module);
        var y = module.call(x);
        Release(x, y);
        return y;
    }

    /// <summary>Applies <paramref name="modules"/> in order through <c>call</c>, freeing each intermediate once the next module has run.</summary>
    /// <returns>The last module's output, or <paramref name="x"/> itself when there are no modules.</returns>
    public Tensor Chain(Tensor x, params ReadOnlySpan<nn.Module<Tensor, Tensor>> modules)
    {
        foreach (var module in modules)
            x = Then(x, module);
        return x;
    }

    /// <summary>
    /// <paramref name="branch"/> + <paramref name="shortcut"/> (a residual sum), then frees both (see <see cref="Release"/>;
    /// a shortcut that is the forward's input stays).
    /// </summary>
    /// <returns>The sum, a new tensor.</returns>
    public Tensor Add(Tensor branch, Tensor shortcut)
    {
        ArgumentNullException.ThrowIfNull(branch);
        ArgumentNullException.ThrowIfNull(shortcut);
        var sum = branch.add(shortcut, CachedScalars.One);
        Release(branch, sum);
        Release(shortcut, sum);
        return sum;
    }

    /// <summary>
    /// Frees <paramref name="dead"/> when this forward frees intermediates, unless it is the forward's input or the same
    /// handle as <paramref name="survivor"/> (a step that returned its input).
    /// </summary>
    /// <param name="dead">A tensor that no later step reads.</param>
    /// <param name="survivor">A tensor that must stay usable, or null.</param>
    public void Release(Tensor dead, Tensor? survivor = null)
    {
        ArgumentNullException.ThrowIfNull(dead);
        if (_frees && !ReferenceEquals(dead, _input) && !ReferenceEquals(dead, survivor))
            dead.Dispose();
    }
}
