namespace DecomCamNet.Onnx.Operators;

/// <summary>
/// The padding attributes shared by Conv, MaxPool and AveragePool (<c>auto_pad</c>, <c>pads</c>, <c>strides</c>,
/// <c>dilations</c>), read once, and the begin/end padding they give for an input's spatial sizes.
/// </summary>
internal sealed class SpatialPadding
{
    private readonly string _autoPad;
    private readonly long[]? _pads;

    public SpatialPadding(NodeContext node, long[] kernel, bool readDilations = true)
    {
        Kernel = kernel;
        int rank = kernel.Length;
        Strides = node.Ints("strides") ?? Enumerable.Repeat(1L, rank).ToArray();
        Dilations = (readDilations ? node.Ints("dilations") : null) ?? Enumerable.Repeat(1L, rank).ToArray();
        _autoPad = node.String("auto_pad", "NOTSET");
        _pads = node.Ints("pads");
        if (Strides.Length != rank || Dilations.Length != rank || (_pads is not null && _pads.Length != 2 * rank))
            throw node.Error($"strides, dilations and pads must have {rank}, {rank} and {2 * rank} values for a {rank}-D kernel");
        if (_autoPad is not ("NOTSET" or "SAME_UPPER" or "SAME_LOWER" or "VALID"))
            throw node.Error($"auto_pad={_autoPad} is not supported");
        if (_autoPad != "NOTSET" && _pads is not null && _pads.Any(p => p != 0))
            throw node.Error($"auto_pad={_autoPad} and explicit pads are both given");
    }

    public long[] Kernel { get; }
    public long[] Strides { get; }
    public long[] Dilations { get; }

    /// <summary>Padding before and after each spatial dimension of an input whose spatial sizes are <paramref name="sizes"/>.</summary>
    public (long[] Begin, long[] End) For(ReadOnlySpan<long> sizes)
    {
        int rank = Kernel.Length;
        var begin = new long[rank];
        var end = new long[rank];
        for (int i = 0; i < rank; i++)
        {
            switch (_autoPad)
            {
                case "NOTSET":
                    if (_pads is not null) (begin[i], end[i]) = (_pads[i], _pads[i + rank]);
                    break;
                case "SAME_UPPER" or "SAME_LOWER":
                    long output = (sizes[i] + Strides[i] - 1) / Strides[i];
                    long total = Math.Max(0, (output - 1) * Strides[i] + (Kernel[i] - 1) * Dilations[i] + 1 - sizes[i]);
                    long small = total / 2;
                    (begin[i], end[i]) = _autoPad == "SAME_UPPER" ? (small, total - small) : (total - small, small);
                    break;
            }
        }
        return (begin, end);
    }

    /// <summary>The padding in <c>F.pad</c>'s order (last dimension first, begin then end) for 2-D spatial padding.</summary>
    public static long[] TorchOrder(long[] begin, long[] end) => new[] { begin[1], end[1], begin[0], end[0] };
}
