using static TorchSharp.torch;

namespace DecomCamNet.Cam;

/// <summary>
/// Measures, during one forward pass, the largest output of any submodule per input row and, in a pass without
/// gradients, the most bytes per row of submodule outputs alive at once (what a batch really holds: a model that frees
/// its intermediates, as the zoo's do, holds a few layer outputs at a time; one that does not holds them all). Masked-forward
/// methods size their CPU batches from both (<see cref="MaskedForwards.CpuBatchSize(long, long)"/>). Hooks are
/// registered on every single-tensor submodule in the constructor and removed by <see cref="Dispose"/>.
/// </summary>
internal sealed class LargestActivationProbe : IDisposable
{
    private readonly List<nn.Module<Tensor, Tensor>.HookRemover> _removers = new();
    private readonly List<(Tensor Output, long Bytes)> _alive = new();
    private readonly HashSet<Tensor> _seen = new(ReferenceEqualityComparer.Instance);
    private readonly long _rows;
    private readonly bool _measuresHeld;
    private long _aliveBytes;

    /// <summary>Starts measuring the forward passes of <paramref name="model"/> on inputs of <paramref name="rows"/> rows.</summary>
    public LargestActivationProbe(nn.Module model, long rows)
    {
        _rows = Math.Max(1, rows);
        _measuresHeld = !is_grad_enabled();
        foreach (var (_, module) in model.named_modules())
        {
            if (module is nn.Module<Tensor, Tensor> hookable)
                _removers.Add(hookable.register_forward_hook((_, _, output) =>
                {
                    long bytes = output.NumberOfElements * output.ElementSize;
                    BytesPerRow = Math.Max(BytesPerRow, bytes / _rows);
                    if (_measuresHeld) Track(output, bytes);
                    return null!;
                }));
        }
    }

    /// <summary>The largest submodule output seen so far, in bytes per input row (0 before any forward).</summary>
    public long BytesPerRow { get; private set; }

    /// <summary>
    /// The most bytes per input row of submodule outputs alive at once (not yet disposed) at any submodule's end; 0 before
    /// any forward and when the probe was created while gradients were recorded (then nothing is freed until the backward).
    /// </summary>
    public long HeldBytesPerRow { get; private set; }

    private void Track(Tensor output, long bytes)
    {
        for (int i = _alive.Count - 1; i >= 0; i--)
        {
            if (!_alive[i].Output.IsInvalid) continue;
            _aliveBytes -= _alive[i].Bytes;
            _alive.RemoveAt(i);
        }
        if (_seen.Add(output))
        {
            _alive.Add((output, bytes));
            _aliveBytes += bytes;
        }
        HeldBytesPerRow = Math.Max(HeldBytesPerRow, _aliveBytes / _rows);
    }

    /// <summary>Removes the hooks.</summary>
    public void Dispose()
    {
        foreach (var r in _removers) r.remove();
        _removers.Clear();
        _alive.Clear();
        _seen.Clear();
    }
}
