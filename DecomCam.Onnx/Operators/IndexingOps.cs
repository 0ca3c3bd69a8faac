using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet.Onnx.Operators;

/// <summary>
/// Range and ScatterND: what torch.onnx emits for Swin's window bookkeeping (index ranges, the shifted-window mask
/// written region by region).
/// </summary>
internal static class IndexingOps
{
    /// <summary>Range(start, limit, delta): the values start, start+delta, ... before limit, in the inputs' type.</summary>
    public static OnnxKernel Range(NodeContext node) => inputs =>
    {
        var start = inputs[0]!;
        if (start.is_floating_point())
        {
            var v = OnnxTensors.ToDoubles(start).Concat(OnnxTensors.ToDoubles(inputs[1]!)).Concat(OnnxTensors.ToDoubles(inputs[2]!)).ToArray();
            using Scalar from = v[0], to = v[1], step = v[2];
            return arange(from, to, step, start.dtype, start.device);
        }
        long first = OnnxTensors.ToLongs(start)[0], limit = OnnxTensors.ToLongs(inputs[1]!)[0], delta = OnnxTensors.ToLongs(inputs[2]!)[0];
        if (delta == 0) throw node.Error("delta is 0");
        long count = Math.Max(0, (limit - first + delta + (delta > 0 ? -1 : 1)) / delta);
        var values = Enumerable.Range(0, (int)count).Select(i => first + i * delta).ToArray();
        return tensor(values, device: start.device).to_type(start.dtype);
    };

    /// <summary>
    /// ScatterND(data, indices, updates) without reduction: a copy of data with the slices that the last axis of indices
    /// addresses (k leading coordinates, negative ones counted from the end) replaced by updates; gradients reach both.
    /// </summary>
    public static OnnxKernel ScatterND(NodeContext node)
    {
        if (node.Opset >= 16 && node.String("reduction", "none") is var reduction && reduction != "none")
            throw node.Error($"reduction=\"{reduction}\" is not supported (only none)");
        return inputs =>
        {
            using var scope = NewDisposeScope();
            var (data, indices, updates) = (inputs[0]!, inputs[1]!, inputs[2]!);
            int k = (int)indices.shape[^1];
            if (k > data.dim()) throw node.Error($"indices address {k} axes of a {data.dim()}-D tensor");
            var leading = data.shape[..k];
            var strides = new long[k];
            for (long i = k - 1, stride = 1; i >= 0; stride *= leading[i], i--) strides[i] = stride;
            var sizes = tensor(leading, device: data.device);
            var linear = indices.reshape(-1, k).remainder(sizes).mul(tensor(strides, device: data.device)).sum(1);
            var rest = data.shape[k..];
            var flat = data.reshape(new[] { -1L }.Concat(rest).ToArray());
            var patch = updates.reshape(new[] { linear.shape[0] }.Concat(rest).ToArray()).to_type(data.dtype);
            return flat.index_copy(0, linear, patch).reshape(data.shape).MoveToOuterDisposeScope();
        };
    }
}
