using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet.Detection;

/// <summary>
/// Decodes YOLO-style dense outputs (<see cref="DetectionLayout"/>) into boxes and class scores, and turns them into
/// detections (confidence threshold, class-wise non-maximum suppression, a cap on the count). All tensor work stays on
/// the output's device.
/// </summary>
public static class DetectionDecoder
{
    /// <summary>
    /// The layout of an output of shape <paramref name="shape"/> <c>[N, D1, D2]</c>. With <paramref name="classCount"/>
    /// K: YOLOv8 when D1 = 4+K, YOLOv5 when D2 = 5+K. Without it, the longer axis is taken as the anchors (a detector
    /// predicts far more anchors than values per anchor): YOLOv8 when D1 &lt; D2, YOLOv5 when D1 &gt; D2.
    /// </summary>
    /// <exception cref="ArgumentException">The shape is not 3-D, fits both layouts or neither: name the layout then.</exception>
    public static DetectionLayout InferLayout(long[] shape, int? classCount = null)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var text = $"[{string.Join(",", shape)}]";
        if (shape.Length != 3)
            throw new ArgumentException($"A YOLO-style output is [N,4+K,A] (YOLOv8) or [N,A,5+K] (YOLOv5); the model returned {text}.", nameof(shape));
        long d1 = shape[1], d2 = shape[2];
        if (classCount is int k)
        {
            if (k < 1) throw new ArgumentOutOfRangeException(nameof(classCount), k, "A detector has at least one class.");
            bool v8 = d1 == 4 + k, v5 = d2 == 5 + k;
            if (v8 && v5) throw new ArgumentException($"The output {text} fits both YOLOv8 [N,{4 + k},A] and YOLOv5 [N,A,{5 + k}] for {k} classes; name the layout.", nameof(shape));
            if (v8 || v5) return v8 ? DetectionLayout.YoloV8 : DetectionLayout.YoloV5;
            throw new ArgumentException($"The output {text} fits neither YOLOv8 [N,{4 + k},A] nor YOLOv5 [N,A,{5 + k}] for {k} classes.", nameof(shape));
        }
        if (d1 < d2 && d1 >= 5) return DetectionLayout.YoloV8;
        if (d2 < d1 && d2 >= 6) return DetectionLayout.YoloV5;
        throw new ArgumentException($"The layout of the output {text} cannot be told from its shape (the anchors' axis is not the longer one); name the layout or the class count.", nameof(shape));
    }

    /// <summary>
    /// Boxes (xyxy) and per-class scores of every anchor of <paramref name="output"/>; the layout is inferred from the
    /// shape (<see cref="InferLayout"/>) when <paramref name="layout"/> is null. The results are differentiable views.
    /// </summary>
    /// <exception cref="ArgumentException">The output does not fit the layout, or the layout cannot be inferred.</exception>
    public static DecodedPredictions Decode(Tensor output, DetectionLayout? layout = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        var kind = layout ?? InferLayout(output.shape);
        var text = $"[{string.Join(",", output.shape)}]";
        if (output.dim() != 3)
            throw new ArgumentException($"A {kind} output is 3-D; the model returned {text}.", nameof(output));
        using var scope = NewDisposeScope();
        var rows = kind == DetectionLayout.YoloV8 ? output.transpose(1, 2) : output;
        long width = rows.shape[2], extra = kind == DetectionLayout.YoloV8 ? 4 : 5;
        if (width < extra + 1)
            throw new ArgumentException($"A {kind} output needs at least {extra + 1} values per anchor ({(kind == DetectionLayout.YoloV8 ? "[N,4+K,A]" : "[N,A,5+K]")}); the model returned {text}.", nameof(output));
        var boxes = BoxOps.CxcywhToXyxy(rows.narrow(2, 0, 4));
        var classes = rows.narrow(2, extra, width - extra);
        var scores = kind == DetectionLayout.YoloV8 ? classes : classes * rows.narrow(2, 4, 1);
        boxes.MoveToOuterDisposeScope();
        scores.MoveToOuterDisposeScope();
        return new DecodedPredictions(boxes, scores, kind);
    }

    /// <summary>
    /// The detections of each image: per anchor its best class and score; anchors scoring above
    /// <see cref="DetectionOptions.ConfidenceThreshold"/> (at most <see cref="DetectionOptions.MaxCandidates"/>, best
    /// first) go through class-wise suppression (<see cref="NonMaxSuppression"/>); the best
    /// <see cref="DetectionOptions.MaxDetections"/> are kept, highest score first.
    /// </summary>
    public static IReadOnlyList<IReadOnlyList<DetectedBox>> Detect(DecodedPredictions predictions, DetectionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        options ??= new DetectionOptions();
        options.Validate();
        using var scope = NewDisposeScope();
        using var grad = no_grad();
        var (best, cls) = predictions.Scores.detach().max(2);
        var boxes = predictions.Boxes.detach();
        using var threshold = options.ConfidenceThreshold.ToScalar();
        var result = new List<IReadOnlyList<DetectedBox>>();
        for (long n = 0; n < best.shape[0]; n++)
        {
            var candidates = best[n].gt(threshold).nonzero().flatten();
            var s = best[n].index_select(0, candidates);
            if (candidates.shape[0] > options.MaxCandidates)
            {
                var top = s.topk(options.MaxCandidates).indexes;
                candidates = candidates.index_select(0, top);
                s = s.index_select(0, top);
            }
            var b = boxes[n].index_select(0, candidates);
            var c = cls[n].index_select(0, candidates);
            var keep = NonMaxSuppression.Keep(b, s, options.IouThreshold, c);
            if (keep.shape[0] > options.MaxDetections) keep = keep.narrow(0, 0, options.MaxDetections);
            result.Add(ToDetections(candidates.index_select(0, keep), c.index_select(0, keep), s.index_select(0, keep), b.index_select(0, keep)));
        }
        return result;
    }

    private static DetectedBox[] ToDetections(Tensor anchors, Tensor classes, Tensor scores, Tensor boxes)
    {
        if (anchors.shape[0] == 0) return Array.Empty<DetectedBox>();
        using var a = anchors.cpu();
        using var c = classes.cpu();
        using var s = scores.to(ScalarType.Float32).cpu();
        using var b = boxes.to(ScalarType.Float32).cpu().contiguous();
        var anchor = a.data<long>().ToArray();
        var cls = c.data<long>().ToArray();
        var score = s.data<float>().ToArray();
        var box = b.data<float>().ToArray();
        return Enumerable.Range(0, anchor.Length).Select(i => new DetectedBox((int)anchor[i], (int)cls[i], score[i],
            new BoundingBox(box[4 * i], box[4 * i + 1], box[4 * i + 2], box[4 * i + 3]))).ToArray();
    }
}
