namespace DecomCamNet.Evaluation.Runs;

/// <summary>One explained detection of one method (<see cref="DetectionEvaluation"/>).</summary>
/// <param name="Method">The method's name.</param>
/// <param name="Scene">The scene's index in the generator (held-out indices).</param>
/// <param name="Box">The detection's corners x1, y1, x2, y2 in pixels.</param>
/// <param name="ClassIndex">The detected class.</param>
/// <param name="Confidence">The detection's score.</param>
/// <param name="MatchedObject">The scene object the box matches, or -1 (a false positive).</param>
/// <param name="Pointing">1 when the map's maximum falls in the matched object's mask, 0 when not, NaN for a false positive.</param>
/// <param name="MaskEnergy">The map's energy share inside the matched object's mask (NaN for a false positive).</param>
/// <param name="BoxEnergy">The map's energy share inside the box (NaN for an empty map).</param>
/// <param name="Empty">Whether the map is all zero.</param>
public sealed record DetectionEvaluationRow(string Method, int Scene, float[] Box, int ClassIndex, float Confidence, int MatchedObject,
    double Pointing, double MaskEnergy, double BoxEnergy, bool Empty);
