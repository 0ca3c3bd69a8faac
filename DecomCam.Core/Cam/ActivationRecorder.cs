using static TorchSharp.torch;

namespace DecomCamNet.Cam;

/// <summary>
/// Records the outputs of one or more target layers through forward hooks. Hooks are registered once and record only
/// between <see cref="Start()"/> and <see cref="Stop"/>, so masked forwards made while scoring do not overwrite what was
/// captured. <see cref="Dispose"/> removes every hook.
/// </summary>
/// <remarks>TorchSharp runs forward hooks only when a module is invoked through <c>call()</c>; a model whose
/// <c>forward</c> calls <c>child.forward(x)</c> bypasses them, which <see cref="Collect"/> reports.</remarks>
public sealed class ActivationRecorder : IDisposable
{
    private readonly List<nn.Module<Tensor, Tensor>.HookRemover> _removers = new();
    private readonly Tensor?[] _captured;
    private readonly ActivationReshape[] _reshapes;
    private Func<int, Tensor, Tensor?>? _replace;
    private bool _recording;
    private bool _disposed;

    /// <summary>Registers a forward hook on each resolved layer of <paramref name="model"/>.</summary>
    /// <exception cref="ArgumentException">A layer cannot be found in the model.</exception>
    public ActivationRecorder(nn.Module model, IReadOnlyList<CamLayer> layers)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Count == 0) throw new ArgumentException("At least one target layer is required.", nameof(layers));
        var resolved = layers.Select(l => l.Resolve(model)).ToList();
        LayerNames = resolved.Select(r => r.Name).ToArray();
        _reshapes = layers.Select(l => l.Reshape ?? ActivationReshape.None).ToArray();
        _captured = new Tensor?[resolved.Count];
        for (int i = 0; i < resolved.Count; i++)
        {
            int slot = i;
            _removers.Add(resolved[i].Module.register_forward_hook((_, _, output) =>
            {
                if (!_recording) return null!;
                var replaced = _replace?.Invoke(slot, output);
                if (replaced is not null)
                {
                    // The replacement is what the model goes on with and what is recorded (a second handle, as below).
                    var mine = replaced.contiguous();
                    _captured[slot] = mine;
                    return mine.contiguous();
                }
                // Containers such as Sequential dispose intermediate outputs. contiguous() of a contiguous tensor is a second
                // handle to the same tensor (same autograd identity), which survives that; a non-contiguous output is replaced
                // by its contiguous copy so that the captured tensor is the one the rest of the model uses.
                var kept = output.contiguous();
                _captured[slot] = kept;
                return output.is_contiguous() ? null! : kept.contiguous();
            }));
        }
    }

    /// <summary>The dotted names of the recorded layers, in the order given.</summary>
    public IReadOnlyList<string> LayerNames { get; }

    /// <summary>Clears earlier captures and starts recording.</summary>
    public void Start() => Start(null);

    /// <summary>
    /// Clears earlier captures and starts recording; while recording, <paramref name="replace"/> (when given) receives each
    /// layer's index and output and may return a tensor that the model goes on with instead, which is then what is recorded
    /// (null keeps the output).
    /// </summary>
    public void Start(Func<int, Tensor, Tensor?>? replace)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Array.Clear(_captured);
        _replace = replace;
        _recording = true;
    }

    /// <summary>Stops recording (and replacing); later forwards leave the captures untouched.</summary>
    public void Stop()
    {
        _recording = false;
        _replace = null;
    }

    /// <summary>
    /// The captured outputs as feature maps <c>[N,C,h,w]</c>, one per layer, with batch size <paramref name="batch"/>
    /// (<see cref="CollectOutputs"/>, then <see cref="ToFeatureMaps"/>).
    /// </summary>
    /// <exception cref="CamException">A layer did not run, or its output is not a feature map after its reshape.</exception>
    public IReadOnlyList<Tensor> Collect(long batch) => ToFeatureMaps(CollectOutputs(), batch);

    /// <summary>The captured outputs as the layers produced them, one per layer (gradients are taken with respect to these).</summary>
    /// <exception cref="CamException">A layer did not run during the forward pass.</exception>
    public IReadOnlyList<Tensor> CollectOutputs()
    {
        var result = new Tensor[_captured.Length];
        for (int i = 0; i < _captured.Length; i++)
            result[i] = _captured[i] ?? throw new CamException(
                $"Layer '{LayerNames[i]}' did not run during the forward pass. TorchSharp fires hooks only through module.call(x): " +
                "make sure the model (and every module between it and this layer) invokes children with call(), not forward().");
        return result;
    }

    /// <summary>
    /// Each layer's <paramref name="tensors"/> (its outputs, or the gradients with respect to them) as feature maps
    /// <c>[N,C,h,w]</c> through the layer's <see cref="ActivationReshape"/>.
    /// </summary>
    /// <exception cref="CamException">A tensor does not have the layout its layer's reshape expects.</exception>
    public IReadOnlyList<Tensor> ToFeatureMaps(IReadOnlyList<Tensor> tensors, long batch) =>
        tensors.Select((t, i) => ToFeatureMap(i, t, batch)).ToArray();

    /// <summary>Layer <paramref name="layer"/>'s <paramref name="tensor"/> as a feature map <c>[N,C,h,w]</c> (see <see cref="ToFeatureMaps"/>).</summary>
    /// <exception cref="CamException">The tensor does not have the layout the layer's reshape expects.</exception>
    public Tensor ToFeatureMap(int layer, Tensor tensor, long batch) => _reshapes[layer].ToFeatureMap(tensor, batch, LayerNames[layer]);

    /// <summary>Removes every hook. Safe to call more than once.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _recording = false;
        _replace = null;
        foreach (var r in _removers) r.remove();
        _removers.Clear();
        Array.Clear(_captured);
    }
}
