using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace DecomCamNet.Models;

/// <summary>
/// An ordered container of single-tensor modules, registered under the names "0", "1", ... exactly like PyTorch's
/// <c>nn.Sequential</c>, so state-dict keys and dotted module names (<c>features.29</c>) match torchvision; or under
/// given names, like an <c>nn.Sequential</c> built from an <c>OrderedDict</c> (<c>encoder.layers.encoder_layer_11</c>).
/// </summary>
/// <remarks>
/// Every child is invoked through <c>call</c>, so forward hooks fire. When no gradient is being recorded, each
/// intermediate output is freed as soon as the next child has consumed it (<see cref="IntermediateRelease"/>), so a
/// gradient-free batch holds one layer's output at a time rather than all of them; a forward hook that keeps a child's
/// output must keep a second handle (<c>output.alias()</c>). Under gradients intermediates stay alive until their dispose
/// scope ends. The container's input is never freed.
/// </remarks>
public sealed class HookSafeSequential : nn.Module<Tensor, Tensor>
{
    private readonly List<nn.Module<Tensor, Tensor>> _children;

    /// <summary>Creates the container; children are registered as "0", "1", ... in the given order.</summary>
    /// <param name="modules">The child modules, applied in order.</param>
    public HookSafeSequential(params nn.Module<Tensor, Tensor>[] modules)
        : this((IEnumerable<nn.Module<Tensor, Tensor>>)modules)
    {
    }

    /// <summary>Creates the container; children are registered as "0", "1", ... in the given order.</summary>
    /// <param name="modules">The child modules, applied in order.</param>
    public HookSafeSequential(IEnumerable<nn.Module<Tensor, Tensor>> modules)
        : base(nameof(HookSafeSequential))
    {
        ArgumentNullException.ThrowIfNull(modules);
        _children = new List<nn.Module<Tensor, Tensor>>();
        foreach (var module in modules)
        {
            ArgumentNullException.ThrowIfNull(module, nameof(modules));
            register_module(_children.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), module);
            _children.Add(module);
        }
    }

    /// <summary>Creates the container; children are registered under the given names, applied in the given order.</summary>
    /// <param name="modules">The child modules with their names, applied in order.</param>
    /// <exception cref="ArgumentException">A name is empty or repeated.</exception>
    public HookSafeSequential(IEnumerable<(string Name, nn.Module<Tensor, Tensor> Module)> modules)
        : base(nameof(HookSafeSequential))
    {
        ArgumentNullException.ThrowIfNull(modules);
        _children = new List<nn.Module<Tensor, Tensor>>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, module) in modules)
        {
            ArgumentNullException.ThrowIfNull(module, nameof(modules));
            if (string.IsNullOrEmpty(name) || !names.Add(name))
                throw new ArgumentException($"Child names must be non-empty and distinct; '{name}' is not.", nameof(modules));
            register_module(name, module);
            _children.Add(module);
        }
    }

    /// <summary>The number of children.</summary>
    public int Count => _children.Count;

    /// <summary>The child at <paramref name="index"/> (the one named <c>index.ToString()</c> unless names were given).</summary>
    /// <param name="index">Zero-based position.</param>
    public nn.Module<Tensor, Tensor> this[int index] => _children[index];

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        if (_children.Count == 0) return input.alias();
        return IntermediateRelease.For(input).Chain(input, CollectionsMarshal.AsSpan(_children));
    }
}
