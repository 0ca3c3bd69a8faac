using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;
using DecomCamNet.Native;

namespace DecomCamNet.Onnx.Operators;

/// <summary>Pad (constant, reflect, edge, wrap) and Resize (nearest and linear, every coordinate mode but tf_crop_and_resize).</summary>
internal static class PadResizeOps
{
    public static OnnxKernel Pad(NodeContext node)
    {
        var modeName = node.String("mode", "constant");
        var mode = modeName switch
        {
            "constant" => PaddingModes.Constant,
            "reflect" => PaddingModes.Reflect,
            "edge" => PaddingModes.Replicate,
            "wrap" when node.Opset >= 19 => PaddingModes.Circular,
            _ => throw node.Error($"Pad mode '{modeName}' is not supported"),
        };
        var attributePads = node.Opset < 11 ? node.Ints("pads") ?? throw node.Error("pads is required") : null;
        double attributeValue = node.Opset < 11 ? node.Float("value", 0f) : 0;
        return inputs =>
        {
            var x = inputs[0]!;
            int rank = (int)x.dim();
            var pads = attributePads ?? OnnxTensors.ToLongs(inputs[1]!);
            double value = attributePads is null && inputs.Count > 2 && inputs[2] is { } v ? OnnxTensors.ToDoubles(v)[0] : attributeValue;
            var axes = inputs.Count > 3 && inputs[3] is { } a
                ? OnnxTensors.ToLongs(a).Select(i => i < 0 ? i + rank : i).ToArray()
                : Enumerable.Range(0, rank).Select(i => (long)i).ToArray();
            if (pads.Length != 2 * axes.Length) throw node.Error($"pads has {pads.Length} values for {axes.Length} axes");
            var begin = new long[rank];
            var end = new long[rank];
            for (int i = 0; i < axes.Length; i++) (begin[axes[i]], end[axes[i]]) = (pads[i], pads[i + axes.Length]);
            // F.pad lists the last dimension first; leading dimensions without padding are left out. Torch's non-constant
            // modes pad at most the last three dimensions and never the first two of a 4-D input.
            int first = Enumerable.Range(0, rank).FirstOrDefault(d => begin[d] != 0 || end[d] != 0, rank);
            if (first == rank) return x.alias();
            if (mode != PaddingModes.Constant && first < 2)
                throw node.Error($"Pad mode '{modeName}' on the batch or channel dimension is not supported");
            var torchPads = Enumerable.Range(first, rank - first).Reverse().SelectMany(d => new[] { begin[d], end[d] }).ToArray();
            return F.pad(x, torchPads, mode, value);
        };
    }

    public static OnnxKernel Resize(NodeContext node)
    {
        var mode = node.String("mode", "nearest");
        var transform = node.String("coordinate_transformation_mode", "half_pixel");
        var nearest = node.String("nearest_mode", "round_prefer_floor");
        node.Float("cubic_coeff_a", -0.75f);                 // cubic only
        node.Expect("exclude_outside", 0);
        node.Float("extrapolation_value", 0f);               // tf_crop_and_resize only
        if (node.Opset >= 18)
        {
            node.Expect("antialias", 0);
            if (node.Ints("axes") is not null) throw node.Error("the axes attribute is not supported");
            if (node.String("keep_aspect_ratio_policy", "stretch") != "stretch") throw node.Error("keep_aspect_ratio_policy other than stretch is not supported");
        }
        if (mode is not ("nearest" or "linear")) throw node.Error($"Resize mode '{mode}' is not supported (nearest, linear)");
        if (transform is not ("half_pixel" or "pytorch_half_pixel" or "align_corners" or "asymmetric"))
            throw node.Error($"coordinate_transformation_mode '{transform}' is not supported");
        if (nearest is not ("round_prefer_floor" or "round_prefer_ceil" or "floor" or "ceil"))
            throw node.Error($"nearest_mode '{nearest}' is not supported");
        return inputs =>
        {
            var x = inputs[0]!;
            int rank = (int)x.dim();
            double[] scales;
            long[] sizes;
            if (inputs.Count > 3 && inputs[3] is { } sizeTensor && sizeTensor.numel() > 0)
            {
                sizes = OnnxTensors.ToLongs(sizeTensor);
                scales = sizes.Select((s, d) => (double)s / x.shape[d]).ToArray();
            }
            else
            {
                scales = OnnxTensors.ToDoubles(inputs[2] ?? throw node.Error("neither scales nor sizes is given"));
                sizes = scales.Select((s, d) => (long)Math.Floor(x.shape[d] * s)).ToArray();
            }
            if (scales.Length != rank) throw node.Error($"{scales.Length} scales or sizes for a {rank}-D input");
            var result = x.alias();
            for (int d = 0; d < rank; d++)
            {
                if (sizes[d] == x.shape[d] && scales[d] == 1.0) continue;
                using var previous = result;
                result = ResizeAxis(previous, d, sizes[d], scales[d], mode == "linear", transform, nearest);
            }
            return result;
        };
    }

    /// <summary>
    /// Resizes one axis by gathering source rows: ONNX's coordinate transform gives each output position a source
    /// coordinate; nearest rounds it, linear blends the two neighbours (coordinates clamped to the input), as ONNX
    /// Runtime does. Differentiable, exact for every coordinate mode.
    /// </summary>
    private static Tensor ResizeAxis(Tensor x, int axis, long outSize, double scale, bool linear, string transform, string nearest)
    {
        long inSize = x.shape[axis];
        var low = new long[outSize];
        var high = new long[outSize];
        var weight = new float[outSize];
        for (long i = 0; i < outSize; i++)
        {
            double source = transform switch
            {
                "half_pixel" => (i + 0.5) / scale - 0.5,
                "pytorch_half_pixel" => outSize > 1 ? (i + 0.5) / scale - 0.5 : 0,
                "align_corners" => outSize > 1 ? i * (inSize - 1) / (double)(outSize - 1) : 0,
                _ => i / scale,
            };
            if (linear)
            {
                double clamped = Math.Clamp(source, 0, inSize - 1);
                low[i] = (long)Math.Floor(clamped);
                high[i] = Math.Min(low[i] + 1, inSize - 1);
                weight[i] = (float)(clamped - low[i]);
            }
            else
            {
                double rounded = nearest switch
                {
                    "floor" => Math.Floor(source),
                    "ceil" => Math.Ceiling(source),
                    "round_prefer_ceil" => Math.Floor(source + 0.5),
                    _ => source - Math.Floor(source) == 0.5 ? Math.Floor(source) : Math.Round(source),
                };
                low[i] = Math.Clamp((long)rounded, 0, inSize - 1);
            }
        }
        using var lowIndex = tensor(low, device: x.device);
        var lowRows = x.index_select(axis, lowIndex);
        if (!linear) return lowRows;
        using (lowRows)
        {
            using var highIndex = tensor(high, device: x.device);
            using var highRows = x.index_select(axis, highIndex);
            var shape = Enumerable.Repeat(1L, (int)x.dim()).ToArray();
            shape[axis] = outSize;
            using var w32 = tensor(weight, shape, device: x.device);
            using var w = w32.to_type(x.dtype);
            using var delta = highRows.sub(lowRows);
            return lowRows.addcmul(delta, w, CachedScalars.One);
        }
    }
}
