using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace DecomCamNet.Onnx.Operators;

/// <summary>MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool and ReduceMean.</summary>
internal static class PoolingOps
{
    public static OnnxKernel MaxPool(NodeContext node)
    {
        var padding = Read(node, readDilations: node.Opset >= 10, out bool ceil);
        node.Expect("storage_order", 0);
        return inputs =>
        {
            var x = inputs[0]!;
            ConvolutionOps.RequireRank(node, x, 4);
            var (begin, end) = padding.For(x.shape.AsSpan(2));
            if (IsNative(padding, begin, end))
                return F.max_pool2d(x, padding.Kernel, padding.Strides, begin, padding.Dilations, ceil);
            using var padded = F.pad(x, SpatialPadding.TorchOrder(begin, end), value: double.NegativeInfinity);
            return F.max_pool2d(padded, padding.Kernel, padding.Strides, new long[2], padding.Dilations, ceil);
        };
    }

    public static OnnxKernel AveragePool(NodeContext node)
    {
        var padding = Read(node, readDilations: node.Opset >= 19, out bool ceil);
        if (padding.Dilations.Any(d => d != 1)) throw node.Error("dilated average pooling is not supported");
        bool includePad = node.Int("count_include_pad", 0) != 0;
        return inputs =>
        {
            var x = inputs[0]!;
            ConvolutionOps.RequireRank(node, x, 4);
            var (begin, end) = padding.For(x.shape.AsSpan(2));
            if (IsNative(padding, begin, end))
                return F.avg_pool2d(x, padding.Kernel, padding.Strides, begin, ceil, includePad);
            if (ceil) throw node.Error("ceil_mode with asymmetric padding is not supported");
            var pads = SpatialPadding.TorchOrder(begin, end);
            using var padded = F.pad(x, pads);
            if (includePad) return F.avg_pool2d(padded, padding.Kernel, padding.Strides, new long[2], false, true);
            // Mean over the input elements only: the zero-padded window sum divided by the window's count of input elements.
            using var sums = F.avg_pool2d(padded, padding.Kernel, padding.Strides, new long[2], false, true);
            using var ones = ones_like(x[TensorIndex.Slice(0, 1), TensorIndex.Slice(0, 1)]);
            using var paddedOnes = F.pad(ones, pads);
            using var counts = F.avg_pool2d(paddedOnes, padding.Kernel, padding.Strides, new long[2], false, true);
            return sums.div(counts);
        };
    }

    public static OnnxKernel GlobalAveragePool(NodeContext node) => inputs =>
        inputs[0]!.mean(SpatialDims(inputs[0]!), keepdim: true);

    public static OnnxKernel GlobalMaxPool(NodeContext node) => inputs =>
        inputs[0]!.amax(SpatialDims(inputs[0]!), keepdim: true);

    public static OnnxKernel ReduceMean(NodeContext node)
    {
        bool keep = node.Int("keepdims", 1) != 0;
        var attributeAxes = node.Opset < 18 ? node.Ints("axes") : null;
        bool noopWhenEmpty = node.Opset >= 18 && node.Int("noop_with_empty_axes", 0) != 0;
        return inputs =>
        {
            var x = inputs[0]!;
            var axes = attributeAxes ?? (inputs.Count > 1 && inputs[1] is { } a ? OnnxTensors.ToLongs(a) : null);
            if (axes is null || axes.Length == 0)
                return noopWhenEmpty ? x.alias() : x.mean(Enumerable.Range(0, (int)x.dim()).Select(i => (long)i).ToArray(), keepdim: keep);
            return x.mean(axes, keepdim: keep);
        };
    }

    private static SpatialPadding Read(NodeContext node, bool readDilations, out bool ceil)
    {
        var kernel = node.Ints("kernel_shape") ?? throw node.Error("kernel_shape is required");
        if (kernel.Length != 2) throw node.Error($"only 2-D pooling is supported; this kernel has {kernel.Length} dimensions");
        ceil = node.Opset >= 10 && node.Int("ceil_mode", 0) != 0;
        return new SpatialPadding(node, kernel, readDilations);
    }

    /// <summary>Whether torch's own symmetric padding (at most half the effective kernel) does what the ONNX pads say.</summary>
    private static bool IsNative(SpatialPadding p, long[] begin, long[] end) =>
        begin.SequenceEqual(end) && begin.Select((b, i) => 2 * b <= (p.Kernel[i] - 1) * p.Dilations[i] + 1).All(ok => ok);

    private static long[] SpatialDims(Tensor x) => Enumerable.Range(2, (int)x.dim() - 2).Select(i => (long)i).ToArray();
}
