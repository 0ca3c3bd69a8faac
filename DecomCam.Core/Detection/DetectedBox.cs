namespace DecomCamNet.Detection;

/// <summary>One box a detector kept after non-maximum suppression.</summary>
/// <param name="Anchor">The anchor (prediction) index in the model output the box comes from.</param>
/// <param name="ClassIndex">The predicted class (the highest-scoring one of the anchor).</param>
/// <param name="Score">That class's score (times objectness for <see cref="DetectionLayout.YoloV5"/>).</param>
/// <param name="Box">The box in input pixels.</param>
public sealed record DetectedBox(int Anchor, int ClassIndex, float Score, BoundingBox Box);
