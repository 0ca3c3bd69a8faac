namespace DecomCamNet.Detection;

/// <summary>A box chosen for explaining (<see cref="BoxSelection"/>): the reference box of its target and the detector's score for it.</summary>
/// <param name="Reference">The box and class the target explains.</param>
/// <param name="DetectionScore">The detection's score (<see cref="DetectedBox.Score"/>), or <c>null</c> for a box the user gave.</param>
public sealed record SelectedBox(ReferenceBox Reference, float? DetectionScore);
