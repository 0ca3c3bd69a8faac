namespace DecomCamNet.Batches;

/// <summary>One manifest row of an <see cref="ExplainedImage"/> (outputs not yet filled in) and the maps to write for it.</summary>
/// <param name="Row">The row to append once the outputs are written; carries its error when the image failed.</param>
/// <param name="Map">The map [H,W]; <c>null</c> for a failed image and an image without detections.</param>
/// <param name="Components">The component maps [Q,H,W] to write (<see cref="IntermediateDrawing.ComponentGrid"/>), each with
/// the suffix of its file; empty when none are to be written.</param>
internal sealed record ExplainedRow(ManifestRow Row, HostArray? Map, IReadOnlyList<(string FileSuffix, HostArray Maps)> Components);
