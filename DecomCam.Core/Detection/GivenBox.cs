namespace DecomCamNet.Detection;

/// <summary>A box the user asks to explain (input pixels), with its class, or <c>null</c> for the class the detector predicts there.</summary>
/// <param name="Box">Where, in input pixels.</param>
/// <param name="ClassIndex">The class to explain; <c>null</c> for the best class of the anchor whose box overlaps <see cref="Box"/> most
/// (<see cref="BoxSelection.ClassOfBestMatch"/>).</param>
public sealed record GivenBox(BoundingBox Box, int? ClassIndex = null);
