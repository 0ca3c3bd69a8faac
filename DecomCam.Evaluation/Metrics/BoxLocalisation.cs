using DecomCamNet.Detection;
using DecomCamNet.Evaluation.Scenes;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet.Evaluation.Metrics;

/// <summary>
/// How well each explained box's map (one map per box, as <see cref="CamTarget.Boxes"/> gives them) falls on the
/// object the box found, against a generated scene's true masks: the scene object each box matches (its class, the
/// highest IoU of its true box (<see cref="Scene.TrueBoxes"/>) at or above the threshold), the pointing game and the
/// energy-based pointing game against that object's visible mask, and the share of the map's energy inside the box
/// itself. A box that matches no object (a false positive) has NaN for the mask metrics.
/// </summary>
public static class BoxLocalisation
{
    /// <summary>Evaluates maps [D,H,W] in [0,1] (the scene's size) for <paramref name="boxes"/> (D, in the maps' order).</summary>
    /// <exception cref="ArgumentException">The counts or sizes differ.</exception>
    public static BoxLocalisationResult Evaluate(Tensor maps, Scene scene, IReadOnlyList<ReferenceBox> boxes,
        double iouThreshold = 0.5, double tolerance = PointingGame.DefaultTolerance)
    {
        ArgumentNullException.ThrowIfNull(maps);
        ArgumentNullException.ThrowIfNull(scene);
        ArgumentNullException.ThrowIfNull(boxes);
        if (maps.dim() != 3 || maps.shape[0] != boxes.Count || maps.shape[1] != scene.Size || maps.shape[2] != scene.Size)
            throw new ArgumentException($"{boxes.Count} boxes on a {scene.Size}x{scene.Size} scene need maps [{boxes.Count},{scene.Size},{scene.Size}]; got {MetricInputs.Shape(maps)}.", nameof(maps));
        int size = scene.Size, plane = size * size;
        var matched = boxes.Select(b => Match(scene, b, iouThreshold)).ToArray();
        var masks = new bool[boxes.Count * plane];
        var rectangles = new bool[boxes.Count * plane];
        for (int d = 0; d < boxes.Count; d++)
        {
            if (matched[d] >= 0) scene.Objects[matched[d]].Mask.CopyTo(masks, d * plane);
            var b = boxes[d].Box;
            int x1 = Math.Clamp((int)Math.Floor(b.X1), 0, size), x2 = Math.Clamp((int)Math.Ceiling(b.X2), 0, size);
            int y1 = Math.Clamp((int)Math.Floor(b.Y1), 0, size), y2 = Math.Clamp((int)Math.Ceiling(b.Y2), 0, size);
            for (int y = y1; y < y2; y++) Array.Fill(rectangles, true, d * plane + y * size + x1, x2 - x1);
        }
        using var scope = NewDisposeScope();
        var shape = new long[] { boxes.Count, size, size };
        var maskTensor = tensor(masks, shape, device: maps.device);
        var pointing = PointingGame.Evaluate(maps, maskTensor, tolerance);
        var unmatched = tensor(matched.Select(m => m < 0).ToArray(), device: maps.device);
        var energy = EnergyPointingGame.Compute(maps, maskTensor);
        using var nan = double.NaN.ToScalar();
        energy = energy.masked_fill(unmatched, nan);
        var inBox = EnergyPointingGame.Compute(maps, tensor(rectangles, shape, device: maps.device));
        energy.MoveToOuterDisposeScope();
        inBox.MoveToOuterDisposeScope();
        pointing.Hits.MoveToOuterDisposeScope();
        pointing.Points.MoveToOuterDisposeScope();
        return new BoxLocalisationResult(matched, pointing, energy, inBox);
    }

    private static int Match(Scene scene, ReferenceBox box, double threshold)
    {
        int best = -1;
        double bestIou = threshold;
        for (int k = 0; k < scene.Objects.Count; k++)
        {
            var o = scene.Objects[k];
            if (o.ClassIndex != box.ClassIndex || o.Box.W == 0) continue;
            double iou = MeanAveragePrecision.Iou(box.Box, new BoundingBox(o.Box.X, o.Box.Y, o.Box.X + o.Box.W, o.Box.Y + o.Box.H));
            if (iou >= bestIou) (best, bestIou) = (k, iou);
        }
        return best;
    }
}

/// <summary>The outcome of <see cref="BoxLocalisation.Evaluate"/>; tensors on the maps' device, [D] each.</summary>
/// <param name="MatchedObject">Per box, the index of the scene object it matches in <see cref="Scene.Objects"/>, or -1.</param>
/// <param name="Pointing">The pointing game against the matched objects' masks (NaN for unmatched boxes).</param>
/// <param name="MaskEnergy">The share of each map's energy inside its matched object's mask (NaN for unmatched boxes).</param>
/// <param name="BoxEnergy">The share of each map's energy inside its own box.</param>
public sealed record BoxLocalisationResult(IReadOnlyList<int> MatchedObject, PointingGameResult Pointing, Tensor MaskEnergy, Tensor BoxEnergy) : IDisposable
{
    /// <inheritdoc />
    public void Dispose()
    {
        Pointing.Dispose();
        MaskEnergy.Dispose();
        BoxEnergy.Dispose();
    }
}
