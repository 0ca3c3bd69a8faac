using static TorchSharp.torch;

namespace DecomCamNet.Detection;

/// <summary>
/// A dense detector's predictions before suppression, one row per anchor: <see cref="Boxes"/> <c>[N,A,4]</c> (x1, y1,
/// x2, y2 in input pixels) and <see cref="Scores"/> <c>[N,A,K]</c> (each class's score, times the objectness for
/// <see cref="DetectionLayout.YoloV5"/>). Both are views of, and differentiable with respect to, the model output.
/// </summary>
public sealed record DecodedPredictions(Tensor Boxes, Tensor Scores, DetectionLayout Layout)
{
    /// <summary>The number of classes K.</summary>
    public long ClassCount => Scores.shape[2];

    /// <summary>The number of anchors A.</summary>
    public long AnchorCount => Scores.shape[1];
}
