using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet.Detection;

/// <summary>
/// Greedy non-maximum suppression, as torchvision.ops.nms and batched_nms: boxes in order of decreasing score; each box
/// kept removes the later boxes (of its class, when classes are given) whose IoU with it is above the threshold. The IoU
/// matrix is computed on the boxes' device; one boolean matrix of overlaps is read to the host for the greedy pass.
/// </summary>
public static class NonMaxSuppression
{
    /// <summary>
    /// The indices (into <paramref name="boxes"/>, int64, on its device) of the boxes kept, highest score first.
    /// <paramref name="boxes"/> <c>[A,4]</c> xyxy, <paramref name="scores"/> <c>[A]</c>, <paramref name="classes"/>
    /// <c>[A]</c> (integer) or null for class-agnostic suppression.
    /// </summary>
    /// <exception cref="ArgumentException">Shapes that do not agree, or a threshold outside [0, 1].</exception>
    public static Tensor Keep(Tensor boxes, Tensor scores, double iouThreshold, Tensor? classes = null)
    {
        ArgumentNullException.ThrowIfNull(boxes);
        ArgumentNullException.ThrowIfNull(scores);
        if (boxes.dim() != 2 || boxes.shape[1] != 4 || scores.dim() != 1 || scores.shape[0] != boxes.shape[0])
            throw new ArgumentException($"Suppression needs boxes [A,4] and scores [A]; got [{string.Join(",", boxes.shape)}] and [{string.Join(",", scores.shape)}].", nameof(boxes));
        if (classes is not null && (classes.dim() != 1 || classes.shape[0] != boxes.shape[0]))
            throw new ArgumentException($"Classes must be [A] = [{boxes.shape[0]}]; got [{string.Join(",", classes.shape)}].", nameof(classes));
        if (!(iouThreshold >= 0 && iouThreshold <= 1))
            throw new ArgumentOutOfRangeException(nameof(iouThreshold), iouThreshold, "The IoU threshold must lie in [0, 1].");
        long count = boxes.shape[0];
        if (count == 0) return empty(0, dtype: ScalarType.Int64, device: boxes.device);

        using var scope = NewDisposeScope();
        var order = scores.argsort(0, descending: true);
        var sorted = boxes.index_select(0, order);
        using var threshold = iouThreshold.ToScalar();
        var overlaps = BoxOps.Iou(sorted, sorted).gt(threshold);
        if (classes is not null)
        {
            var c = classes.index_select(0, order);
            overlaps = overlaps.logical_and(c.unsqueeze(1).eq(c.unsqueeze(0)));
        }
        bool[] over;
        using (var host = overlaps.cpu()) over = host.data<bool>().ToArray();

        var suppressed = new bool[count];
        var kept = new List<long>();
        for (long i = 0; i < count; i++)
        {
            if (suppressed[i]) continue;
            kept.Add(i);
            for (long j = i + 1; j < count; j++)
                if (over[i * count + j]) suppressed[j] = true;
        }
        var positions = tensor(kept.ToArray(), device: boxes.device);
        return order.index_select(0, positions).MoveToOuterDisposeScope();
    }
}
