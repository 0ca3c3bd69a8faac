using DecomCamNet.Detection;
using static TorchSharp.torch;

namespace DecomCamNet;

/// <summary>Targets for dense YOLO-style detectors (<see cref="DetectionLayout"/>): one map per box.</summary>
public sealed partial class CamTarget
{
    /// <summary>
    /// The same reference box for every image: pytorch-grad-cam's <c>FasterRCNNBoxScoreTarget</c> on the decoded
    /// predictions before suppression (<see cref="BoxMatchScore"/>): the anchor of class <paramref name="classIndex"/>
    /// whose box overlaps <paramref name="box"/> most, with an IoU above <paramref name="iouThreshold"/>, scores its
    /// class score (times objectness for YOLOv5) plus that IoU; 0 when none matches. The model output is decoded as
    /// <paramref name="layout"/>, or as its shape tells (<see cref="DetectionDecoder.InferLayout"/>) when null.
    /// </summary>
    /// <exception cref="ArgumentException">An empty or non-finite box, a negative class, a threshold outside [0, 1].</exception>
    public static CamTarget Box(BoundingBox box, int classIndex, double iouThreshold = 0.5, DetectionLayout? layout = null)
    {
        var reference = new ReferenceBox(box, classIndex);
        CheckBoxes(new[] { reference }, iouThreshold);
        return new(Kind.Box, new[] { new[] { classIndex } }, null, $"box {box} of class {classIndex}", null,
            BoxRowScore(new[] { reference }, everyImage: true, iouThreshold, layout));
    }

    /// <summary>
    /// Several reference boxes per image (one list per image, each non-empty), one map per box, image-major, each scored
    /// as <see cref="Box"/> does; typically the model's own detections (<see cref="ReferenceBox.Of"/>).
    /// </summary>
    /// <exception cref="ArgumentException">An image without boxes, an empty or non-finite box, a negative class, a threshold outside [0, 1].</exception>
    public static CamTarget Boxes(IReadOnlyList<IReadOnlyList<ReferenceBox>> boxesPerImage, double iouThreshold = 0.5, DetectionLayout? layout = null)
    {
        ArgumentNullException.ThrowIfNull(boxesPerImage);
        if (boxesPerImage.Count == 0 || boxesPerImage.Any(b => b is null || b.Count == 0))
            throw new ArgumentException("Give a non-empty list of reference boxes for every image.", nameof(boxesPerImage));
        var flat = boxesPerImage.SelectMany(b => b).ToArray();
        CheckBoxes(flat, iouThreshold);
        var text = string.Join(";", boxesPerImage.Select(b => string.Join(",", b.Select(r => $"{r.Box}:{r.ClassIndex}"))));
        return new(Kind.Boxes, boxesPerImage.Select(b => b.Select(r => r.ClassIndex).ToArray()).ToArray(), null, $"boxes [{text}]", null,
            BoxRowScore(flat, everyImage: false, iouThreshold, layout));
    }

    private static void CheckBoxes(ReferenceBox[] boxes, double iouThreshold)
    {
        foreach (var b in boxes)
        {
            ArgumentNullException.ThrowIfNull(b, nameof(boxes));
            b.Box.Validate(nameof(boxes));
            if (b.ClassIndex < 0) throw new ArgumentOutOfRangeException(nameof(boxes), b.ClassIndex, "A class index cannot be negative.");
        }
        if (!(iouThreshold >= 0 && iouThreshold <= 1))
            throw new ArgumentOutOfRangeException(nameof(iouThreshold), iouThreshold, "The IoU threshold must lie in [0, 1].");
    }

    /// <summary>Scores output rows [B,...] against the boxes of their rows [B] of the expanded batch.</summary>
    private static Func<Tensor, Tensor, Tensor> BoxRowScore(ReferenceBox[] boxes, bool everyImage, double iouThreshold, DetectionLayout? layout)
    {
        var corners = boxes.SelectMany(b => b.Box.ToArray()).ToArray();
        var classes = boxes.Select(b => (long)b.ClassIndex).ToArray();
        return (output, rows) =>
        {
            var decoded = DetectionDecoder.Decode(output, layout);
            var index = everyImage ? zeros_like(rows) : rows;
            var references = tensor(corners, new long[] { boxes.Length, 4 }, device: output.device).index_select(0, index);
            var referenceClasses = tensor(classes, device: output.device).index_select(0, index);
            return BoxMatchScore.Compute(decoded, references, referenceClasses, iouThreshold);
        };
    }
}
