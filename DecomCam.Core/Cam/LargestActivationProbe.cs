using static TorchSharp.torch;

namespace DecomCamNet.Cam;

/// <summary>
/// Measures, during one forward pass, the largest output of any submodule per input row, in bytes. Masked-forward
/// methods size their CPU batches from it (<see cref="MaskedForwards.CpuBatchSize"/>). Hooks are registered on every
/// single-tensor submodule in the constructor and removed by <see cref="Dispose"/>.
/// </summary>
internal sealed class LargestActivationProbe : IDisposable
{
    private readonly List<nn.Module<Tensor, Tensor>.HookRemover> _removers = new();
    private readonly long _rows;

    /// <summary>Starts measuring the forward passes of <paramref name="model"/> on inputs of <paramref name="rows"/> rows.</summary>
    public LargestActivationProbe(nn.Module model, long rows)
    {
        _rows = Math.Max(1, rows);
        foreach (var (_, module) in model.named_modules())
        {
            if (module is nn.Module<Tensor, Tensor> hookable)
                _removers.Add(hookable.register_forward_hook((_, _, output) =>
                {
                    BytesPerRow = Math.Max(BytesPerRow, output.NumberOfElements * output.ElementSize / _rows);
                    return null!;
                }));
        }
    }

    /// <summary>The largest submodule output seen so far, in bytes per input row (0 before any forward).</summary>
    public long BytesPerRow { get; private set; }

    /// <summary>Removes the hooks.</summary>
    public void Dispose()
    {
        foreach (var r in _removers) r.remove();
        _removers.Clear();
    }
}
