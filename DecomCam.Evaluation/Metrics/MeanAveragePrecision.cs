using DecomCamNet.Detection;

namespace DecomCamNet.Evaluation.Metrics;

/// <summary>
/// Average precision of detections against true boxes, per class, at one IoU threshold (PASCAL VOC 2010+ / COCO at a
/// single threshold): each image's detections of a class, highest score first, match the unmatched true box of that
/// class they overlap most if the IoU is at least the threshold (true positive), else count as false positives; AP is
/// the area under the precision-recall curve with precision made non-increasing (all-point interpolation). mAP is the
/// mean over the classes that have true boxes.
/// </summary>
public static class MeanAveragePrecision
{
    /// <summary>
    /// AP per class (NaN for a class without true boxes) and their mean over classes with true boxes.
    /// <paramref name="detections"/> and <paramref name="truths"/> hold one list per image, in the same order.
    /// </summary>
    /// <exception cref="ArgumentException">The lists differ in length, a class is outside 0..classes-1.</exception>
    public static (double Map, double[] PerClass) Compute(IReadOnlyList<IReadOnlyList<DetectedBox>> detections,
        IReadOnlyList<IReadOnlyList<ReferenceBox>> truths, int classes, double iouThreshold = 0.5)
    {
        ArgumentNullException.ThrowIfNull(detections);
        ArgumentNullException.ThrowIfNull(truths);
        if (detections.Count != truths.Count)
            throw new ArgumentException($"{detections.Count} images of detections against {truths.Count} of true boxes.", nameof(detections));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classes);
        var scored = Enumerable.Range(0, classes).Select(_ => new List<(float Score, bool Hit)>()).ToArray();
        var positives = new int[classes];
        for (int i = 0; i < truths.Count; i++)
        {
            foreach (var t in truths[i]) positives[CheckClass(t.ClassIndex, classes)]++;
            var used = new bool[truths[i].Count];
            foreach (var d in detections[i].OrderByDescending(d => d.Score))
            {
                CheckClass(d.ClassIndex, classes);
                int best = -1;
                double bestIou = iouThreshold;
                for (int j = 0; j < truths[i].Count; j++)
                {
                    if (used[j] || truths[i][j].ClassIndex != d.ClassIndex) continue;
                    double iou = Iou(d.Box, truths[i][j].Box);
                    if (iou >= bestIou) (best, bestIou) = (j, iou);
                }
                if (best >= 0) used[best] = true;
                scored[d.ClassIndex].Add((d.Score, best >= 0));
            }
        }
        var perClass = Enumerable.Range(0, classes).Select(c => positives[c] == 0 ? double.NaN : Ap(scored[c], positives[c])).ToArray();
        var present = perClass.Where(double.IsFinite).ToArray();
        return (present.Length == 0 ? double.NaN : present.Average(), perClass);
    }

    /// <summary>The IoU of two boxes (0 when they do not overlap).</summary>
    public static double Iou(BoundingBox a, BoundingBox b)
    {
        double w = Math.Min(a.X2, b.X2) - Math.Max(a.X1, b.X1), h = Math.Min(a.Y2, b.Y2) - Math.Max(a.Y1, b.Y1);
        if (w <= 0 || h <= 0) return 0;
        double inter = w * h;
        return inter / ((double)a.Area + b.Area - inter);
    }

    private static double Ap(List<(float Score, bool Hit)> detections, int positives)
    {
        var sorted = detections.OrderByDescending(d => d.Score).ToArray();
        var recall = new double[sorted.Length];
        var precision = new double[sorted.Length];
        int tp = 0;
        for (int k = 0; k < sorted.Length; k++)
        {
            if (sorted[k].Hit) tp++;
            recall[k] = tp / (double)positives;
            precision[k] = tp / (double)(k + 1);
        }
        for (int k = sorted.Length - 2; k >= 0; k--) precision[k] = Math.Max(precision[k], precision[k + 1]);
        double ap = 0, previous = 0;
        for (int k = 0; k < sorted.Length; k++)
        {
            ap += (recall[k] - previous) * precision[k];
            previous = recall[k];
        }
        return ap;
    }

    private static int CheckClass(int c, int classes) =>
        c >= 0 && c < classes ? c : throw new ArgumentException($"Class {c} is outside 0..{classes - 1}.", nameof(classes));
}
