using static TorchSharp.torch;

namespace DecomCamNet.Detection;

/// <summary>
/// The boxes to explain in each image of a detector's batch: the model's own detections (<see cref="DetectionDecoder.Detect"/>),
/// or the boxes a user gives, the same in every image, each with its class or the class the detector predicts there.
/// </summary>
public static class BoxSelection
{
    /// <summary>
    /// The boxes of each image of <paramref name="predictions"/>: <paramref name="given"/> when it holds any (in its order), else
    /// the detections that <paramref name="options"/> keep (highest score first; an image may have none).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A given box's class is not one of the detector's classes.</exception>
    public static IReadOnlyList<IReadOnlyList<SelectedBox>> Select(DecodedPredictions predictions, DetectionOptions? options = null, IReadOnlyList<GivenBox>? given = null)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        if (given is null || given.Count == 0)
            return DetectionDecoder.Detect(predictions, options)
                .Select(image => (IReadOnlyList<SelectedBox>)image.Select(d => new SelectedBox(ReferenceBox.Of(d), d.Score)).ToArray()).ToArray();
        foreach (var g in given)
        {
            ArgumentNullException.ThrowIfNull(g, nameof(given));
            if (g.ClassIndex is int c && (c < 0 || c >= predictions.ClassCount))
                throw new ArgumentOutOfRangeException(nameof(given), c, $"The box {g.Box} asks for class {c}: the detector has {predictions.ClassCount} classes (valid 0..{predictions.ClassCount - 1}).");
        }
        return Enumerable.Range(0, (int)predictions.Boxes.shape[0]).Select(n => (IReadOnlyList<SelectedBox>)given
            .Select(g => new SelectedBox(new ReferenceBox(g.Box, g.ClassIndex ?? ClassOfBestMatch(predictions, n, g.Box)), null)).ToArray()).ToArray();
    }

    /// <summary>The best class of the anchor whose box overlaps <paramref name="box"/> most in image <paramref name="image"/>.</summary>
    public static int ClassOfBestMatch(DecodedPredictions predictions, int image, BoundingBox box)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var reference = tensor(box.ToArray(), new long[] { 1, 4 }, device: predictions.Boxes.device);
        var anchor = BoxOps.Iou(reference, predictions.Boxes[image].detach()).argmax().item<long>();
        return (int)predictions.Scores[image, anchor].argmax().item<long>();
    }
}
