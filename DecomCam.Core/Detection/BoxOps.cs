using DecomCamNet.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet.Detection;

/// <summary>Box arithmetic on tensors of boxes <c>[..., 4]</c>, on the boxes' device; torchvision.ops' formulas.</summary>
public static class BoxOps
{
    private static readonly Scalar Half = 0.5f.ToScalar();

    /// <summary>Centre x, centre y, width, height <c>[..., 4]</c> to corners x1, y1, x2, y2 <c>[..., 4]</c>.</summary>
    public static Tensor CxcywhToXyxy(Tensor boxes)
    {
        using var scope = NewDisposeScope();
        var centre = boxes.narrow(-1, 0, 2);
        var half = boxes.narrow(-1, 2, 2).mul(Half);
        return cat(new[] { centre - half, centre.add(half, CachedScalars.One) }, -1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The IoU of every box of <paramref name="a"/> <c>[P,4]</c> with every box of <paramref name="b"/> <c>[Q,4]</c>
    /// (xyxy): <c>[P,Q]</c>, as torchvision.ops.box_iou (no epsilon: two empty boxes give NaN).
    /// </summary>
    public static Tensor Iou(Tensor a, Tensor b)
    {
        CheckBoxes(a, nameof(a));
        CheckBoxes(b, nameof(b));
        return PairIou(a.unsqueeze(1), b.unsqueeze(0));
    }

    /// <summary>
    /// The IoU of boxes that broadcast against each other (<c>[...,4]</c> with <c>[...,4]</c>): element-wise, where
    /// <see cref="Iou"/> pairs every box with every box.
    /// </summary>
    public static Tensor PairIou(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        var topLeft = maximum(a.narrow(-1, 0, 2), b.narrow(-1, 0, 2));
        var bottomRight = minimum(a.narrow(-1, 2, 2), b.narrow(-1, 2, 2));
        var wh = (bottomRight - topLeft).clamp_min(CachedScalars.Zero);
        var inter = wh.select(-1, 0) * wh.select(-1, 1);
        var union = Area(a).add(Area(b), CachedScalars.One) - inter;
        return (inter / union).MoveToOuterDisposeScope();
    }

    /// <summary>The area of each box <c>[...,4]</c> (xyxy) → <c>[...]</c>.</summary>
    public static Tensor Area(Tensor boxes) =>
        (boxes.select(-1, 2) - boxes.select(-1, 0)) * (boxes.select(-1, 3) - boxes.select(-1, 1));

    private static void CheckBoxes(Tensor boxes, string name)
    {
        ArgumentNullException.ThrowIfNull(boxes, name);
        if (boxes.dim() != 2 || boxes.shape[1] != 4)
            throw new ArgumentException($"Boxes must be [count,4] (x1,y1,x2,y2); got [{string.Join(",", boxes.shape)}].", name);
    }
}
