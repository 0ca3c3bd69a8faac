using static TorchSharp.torch;

namespace DecomCamNet.Cam;

/// <summary>
/// Replaces a layer's output during forwards, through a forward hook: while <see cref="Replacement"/> is set, the layer
/// returns it instead of what it computed (the layers before it still run). Ablation-CAM forwards a batch of ablated
/// copies of one captured activation this way. <see cref="Dispose"/> removes the hook.
/// </summary>
public sealed class LayerOutputOverride : IDisposable
{
    private nn.Module<Tensor, Tensor>.HookRemover? _remover;

    /// <summary>Hooks <paramref name="layer"/>; nothing changes until <see cref="Replacement"/> is set.</summary>
    public LayerOutputOverride(nn.Module<Tensor, Tensor> layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        // A second handle: a Sequential that owns the layer disposes its children's outputs, which must not free ours.
        _remover = layer.register_forward_hook((_, _, _) => Replacement?.alias()!);
    }

    /// <summary>The output the layer returns, batch first; null to let it compute its own.</summary>
    public Tensor? Replacement { get; set; }

    /// <summary>Removes the hook. Safe to call more than once.</summary>
    public void Dispose()
    {
        _remover?.remove();
        _remover = null;
        Replacement = null;
    }
}
