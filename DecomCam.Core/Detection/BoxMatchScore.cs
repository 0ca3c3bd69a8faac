using DecomCamNet.Cam;
using DecomCamNet.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet.Detection;

/// <summary>
/// pytorch-grad-cam's <c>FasterRCNNBoxScoreTarget</c> for dense (YOLO-style) predictions before suppression: for each
/// reference box, among the anchors whose best class is the reference's class and whose box overlaps it with an IoU
/// above the threshold, the one with the highest IoU contributes its score for that class (times the objectness for
/// YOLOv5) plus that IoU; nothing (0) when no anchor matches. pgc takes the highest-IoU detection first and then
/// requires its label to match; on dense outputs, where every anchor predicts some class, the class is filtered
/// first. A reference box taken from the model's own detection matches its own anchor with IoU 1. The value is
/// differentiable with respect to the output through the matched anchor's score and box.
/// </summary>
public static class BoxMatchScore
{
    private static readonly Scalar NoMatch = (-1f).ToScalar();

    /// <summary>
    /// The score of reference box m against row m of <paramref name="predictions"/>: <paramref name="references"/>
    /// <c>[M,4]</c> (xyxy, input pixels) and <paramref name="classes"/> <c>[M]</c> (int64) against predictions of M
    /// rows; returns <c>[M]</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The counts differ, or a class is not below the number of classes.</exception>
    public static Tensor Compute(DecodedPredictions predictions, Tensor references, Tensor classes, double iouThreshold)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(references);
        ArgumentNullException.ThrowIfNull(classes);
        long m = predictions.Boxes.shape[0];
        if (references.dim() != 2 || references.shape[0] != m || references.shape[1] != 4 || classes.dim() != 1 || classes.shape[0] != m)
            throw new ArgumentException($"{m} prediction rows need reference boxes [{m},4] and classes [{m}]; got [{string.Join(",", references.shape)}] and [{string.Join(",", classes.shape)}].", nameof(references));
        using (var host = classes.cpu())
            foreach (var c in host.data<long>().Distinct()) TargetClassRange.Check(c, predictions.ClassCount, "target");

        using var scope = NewDisposeScope();
        var scores = predictions.Scores;
        var iou = BoxOps.PairIou(predictions.Boxes, references.to(predictions.Boxes.dtype).unsqueeze(1));
        using var threshold = iouThreshold.ToScalar();
        var valid = scores.detach().argmax(2).eq(classes.unsqueeze(1)).logical_and(iou.detach().gt(threshold));
        var best = iou.detach().masked_fill(valid.logical_not(), NoMatch).argmax(1, keepdim: true);
        var classScore = scores.gather(2, classes.view(m, 1, 1).expand(m, scores.shape[1], 1)).squeeze(2);
        var value = classScore.gather(1, best).add(iou.gather(1, best), CachedScalars.One).squeeze(1);
        return where(valid.any(1), value, zeros_like(value)).MoveToOuterDisposeScope();
    }
}
