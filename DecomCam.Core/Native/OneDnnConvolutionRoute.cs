using System.Runtime.CompilerServices;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DecomCamNet.Native;

/// <summary>
/// Sends the forward pass of a model's <see cref="Conv2d"/> modules whose input channels oneDNN computes wrongly on this
/// CPU through <see cref="OneDnnSafeConvolution"/>, by a forward hook that recomputes the module's output from its input
/// (the module's own output is computed too and dropped: the route costs those convolutions twice, against about 2.4x
/// for the whole model with oneDNN off). Installed only where <see cref="LibTorchBackends.CpuCachesUnknown"/>; each
/// module gets one hook however many installs overlap, registered by the first and removed with the last, so layers
/// recorded later see the corrected output. Dispose the returned scope to remove it.
/// </summary>
public static class OneDnnConvolutionRoute
{
    private static readonly object Gate = new();
    private static readonly ConditionalWeakTable<Conv2d, Entry> Routed = new();

    /// <summary>
    /// Routes every <see cref="Conv2d"/> of <paramref name="model"/> whose input channels per group
    /// <see cref="OneDnnSafeConvolution.IsUnsafeChannelCount"/> flags, where the CPU reports no cache sizes; elsewhere, or
    /// when the model has no such convolution, returns null. Install before hooks that record such a convolution's output.
    /// </summary>
    public static IDisposable? Install(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!LibTorchBackends.CpuCachesUnknown) return null;
        var convolutions = Routable(model).ToArray();
        if (convolutions.Length == 0) return null;
        lock (Gate)
            foreach (var conv in convolutions)
                Routed.GetValue(conv, c => new Entry(c)).Count++;
        return new Scope(convolutions);
    }

    /// <summary>The modules <see cref="Install"/> routes: flagged <see cref="Conv2d"/>s with zero or no padding mode.</summary>
    internal static IEnumerable<Conv2d> Routable(nn.Module model) =>
        model.modules().OfType<Conv2d>().Where(c => OneDnnSafeConvolution.IsUnsafeChannelCount(c.weight.shape[1]) && Covers(c));

    /// <summary>Whether the hook can reproduce the module's forward: explicit zero padding, or <c>same</c>/<c>valid</c>.</summary>
    internal static bool Covers(Conv2d conv) => conv.padding_type.HasValue ? conv.padding_mode == PaddingModes.Zeros : conv.padding is not null;

    private static Tensor Forward(Conv2d conv, Tensor input)
    {
        if (conv.padding_mode != PaddingModes.Zeros)
        {
            long[] p = conv.padding!;
            using var padded = nn.functional.pad(input, new[] { p[1], p[1], p[0], p[0] }, conv.padding_mode);
            return OneDnnSafeConvolution.Conv2d(padded, conv.weight, conv.bias, conv.stride, new long[2], conv.dilation, conv.groups);
        }
        return conv.padding_type is { } type
            ? OneDnnSafeConvolution.Conv2d(input, conv.weight, conv.bias, conv.stride, type, conv.dilation, conv.groups)
            : OneDnnSafeConvolution.Conv2d(input, conv.weight, conv.bias, conv.stride, conv.padding!, conv.dilation, conv.groups);
    }

    private sealed class Entry(Conv2d conv)
    {
        private readonly nn.Module<Tensor, Tensor>.HookRemover _remover =
            conv.register_forward_hook((m, input, output) => OneDnnSafeConvolution.IsRouted(input, conv.weight) ? Forward(conv, input) : output);

        public int Count;

        public void Remove() => _remover.remove();
    }

    private sealed class Scope(Conv2d[] convolutions) : IDisposable
    {
        private bool _done;

        public void Dispose()
        {
            lock (Gate)
            {
                if (_done) return;
                _done = true;
                foreach (var conv in convolutions)
                    if (Routed.TryGetValue(conv, out var entry) && --entry.Count == 0)
                    {
                        entry.Remove();
                        Routed.Remove(conv);
                    }
            }
        }
    }
}
