using static TorchSharp.torch;
using DataType = global::Onnx.TensorProto.Types.DataType;

namespace DecomCamNet.Onnx.Operators;

/// <summary>
/// Operators that move or view values: Identity, Dropout (inference), Concat, Flatten, Reshape, Transpose, Squeeze,
/// Unsqueeze, and those of shape arithmetic (Shape, Gather, Slice, Cast), which run on small int64 tensors each forward,
/// so a graph with a dynamic batch size works for any batch.
/// </summary>
internal static class ShapeOps
{
    public static OnnxKernel Identity(NodeContext node) => inputs => inputs[0]!.alias();

    public static OnnxKernel Dropout(NodeContext node)
    {
        if (node.Opset < 12) node.Float("ratio", 0.5f);
        else node.Int("seed", 0);
        if (node.HasInput(2))
        {
            var training = node.ConstantInput(2) ?? throw node.Error("training_mode must be a constant (only inference is supported)");
            // torchvision 0.14's Swin exports its attention dropout (ratio 0) in training mode: still the identity.
            bool zeroRatio = node.ConstantInput(1) is { } ratio && OnnxTensors.ToDoubles(ratio).All(r => r == 0);
            if (OnnxTensors.ToLongs(training).Any(v => v != 0) && !zeroRatio)
                throw node.Error("training_mode is true with a nonzero ratio; only inference is supported");
        }
        return inputs => inputs[0]!.alias();
    }

    public static OnnxKernel Concat(NodeContext node)
    {
        long axis = node.Int("axis", 1);
        return inputs => cat(inputs.Select(t => t!).ToArray(), axis);
    }

    public static OnnxKernel Flatten(NodeContext node)
    {
        long axis = node.Int("axis", 1);
        return inputs =>
        {
            var x = inputs[0]!;
            long a = axis < 0 ? axis + x.dim() : axis;
            return x.reshape(x.shape[..(int)a].Aggregate(1L, (p, d) => p * d), -1);
        };
    }

    public static OnnxKernel Reshape(NodeContext node)
    {
        bool allowZero = node.Int("allowzero", 0) != 0;
        return inputs =>
        {
            var x = inputs[0]!;
            var shape = OnnxTensors.ToLongs(inputs[1]!);
            if (!allowZero)
                for (int i = 0; i < shape.Length; i++)
                    if (shape[i] == 0) shape[i] = x.shape[i];
            return x.reshape(shape);
        };
    }

    public static OnnxKernel Transpose(NodeContext node)
    {
        var perm = node.Ints("perm");
        return inputs =>
        {
            var x = inputs[0]!;
            return x.permute(perm ?? Enumerable.Range(0, (int)x.dim()).Reverse().Select(i => (long)i).ToArray());
        };
    }

    public static OnnxKernel Squeeze(NodeContext node)
    {
        var attributeAxes = node.Opset < 13 ? node.Ints("axes") : null;
        return inputs =>
        {
            var x = inputs[0]!;
            var axes = attributeAxes ?? (inputs.Count > 1 && inputs[1] is { } a ? OnnxTensors.ToLongs(a) : null);
            if (axes is null) return x.squeeze();
            var drop = axes.Select(a => a < 0 ? a + x.dim() : a).ToHashSet();
            return x.reshape(x.shape.Where((_, i) => !drop.Contains(i)).ToArray());
        };
    }

    public static OnnxKernel Unsqueeze(NodeContext node)
    {
        var attributeAxes = node.Opset < 13 ? node.Ints("axes") : null;
        return inputs =>
        {
            var x = inputs[0]!;
            var axes = attributeAxes ?? OnnxTensors.ToLongs(inputs[1]!);
            long rank = x.dim() + axes.Length;
            var insert = axes.Select(a => a < 0 ? a + rank : a).ToHashSet();
            var shape = new List<long>();
            int source = 0;
            for (long i = 0; i < rank; i++) shape.Add(insert.Contains(i) ? 1 : x.shape[source++]);
            return x.reshape(shape.ToArray());
        };
    }

    public static OnnxKernel Shape(NodeContext node)
    {
        long start = node.Opset >= 15 ? node.Int("start", 0) : 0;
        long? end = node.Opset >= 15 && node.Int("end", long.MaxValue) is var e && e != long.MaxValue ? e : null;
        return inputs =>
        {
            var dims = inputs[0]!.shape;
            int rank = dims.Length;
            int from = (int)Math.Clamp(start < 0 ? start + rank : start, 0, rank);
            int to = (int)Math.Clamp(end is { } v ? (v < 0 ? v + rank : v) : rank, from, rank);
            return tensor(dims[from..to], device: inputs[0]!.device);
        };
    }

    public static OnnxKernel Gather(NodeContext node)
    {
        long axis = node.Int("axis", 0);
        return inputs =>
        {
            var data = inputs[0]!;
            long a = axis < 0 ? axis + data.dim() : axis;
            long size = data.shape[a];
            var indices = inputs[1]!;
            var flat = OnnxTensors.ToLongs(indices).Select(i => i < 0 ? i + size : i).ToArray();
            using var index = tensor(flat, device: data.device);
            using var picked = data.index_select(a, index);
            var shape = data.shape[..(int)a].Concat(indices.shape).Concat(data.shape[((int)a + 1)..]).ToArray();
            return picked.reshape(shape);
        };
    }

    public static OnnxKernel Slice(NodeContext node) => inputs =>
    {
        var x = inputs[0]!;
        var starts = OnnxTensors.ToLongs(inputs[1]!);
        var ends = OnnxTensors.ToLongs(inputs[2]!);
        var axes = inputs.Count > 3 && inputs[3] is { } a ? OnnxTensors.ToLongs(a) : Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
        var steps = inputs.Count > 4 && inputs[4] is { } s ? OnnxTensors.ToLongs(s) : Enumerable.Repeat(1L, starts.Length).ToArray();
        var result = x.alias();
        for (int i = 0; i < starts.Length; i++)
        {
            long axis = axes[i] < 0 ? axes[i] + x.dim() : axes[i];
            long size = x.shape[axis], step = steps[i];
            if (step == 0) throw node.Error("Slice step 0 is not allowed");
            long start = starts[i] < 0 ? starts[i] + size : starts[i];
            long end = ends[i] < 0 ? ends[i] + size : ends[i];
            using var previous = result;
            if (step > 0)
            {
                start = Math.Clamp(start, 0, size);
                result = previous.slice(axis, start, Math.Max(start, Math.Clamp(end, 0, size)), step);
            }
            else
            {
                // Backwards (PyTorch exports reverse pad lists this way): gather the indices start, start+step, ... > end.
                start = Math.Clamp(start, 0, size - 1);
                end = Math.Clamp(end, -1, size - 1);
                var picked = new List<long>();
                for (long k = start; k > end; k += step) picked.Add(k);
                using var index = tensor(picked.ToArray(), device: x.device);
                result = previous.index_select(axis, index);
            }
        }
        return result;
    };

    public static OnnxKernel ConstantOfShape(NodeContext node)
    {
        var proto = node.TensorAttribute("value");
        Tensor value;
        try { value = proto is null ? tensor(0f) : OnnxTensors.ToTensor(proto, null); }
        catch (NotSupportedException e) { throw node.Error(e.Message, e); }
        if (value.numel() != 1) throw node.Error("value must hold one element");
        return inputs =>
        {
            var shape = OnnxTensors.ToLongs(inputs[0]!);
            return value.reshape(Array.Empty<long>()).expand(shape).to(inputs[0]!.device, copy: true);
        };
    }

    public static OnnxKernel Cast(NodeContext node)
    {
        long to = node.Int("to", 0);
        if (node.Opset >= 19) node.Expect("saturate", 1);
        ScalarType target = (DataType)to switch
        {
            DataType.Float => ScalarType.Float32,
            DataType.Int64 or DataType.Int32 => ScalarType.Int64,
            DataType.Bool => ScalarType.Bool,
            _ => throw node.Error($"Cast to {(DataType)to} is not supported (float, int32, int64, bool)"),
        };
        return inputs => inputs[0]!.to_type(target);
    }
}
