namespace DecomCamNet.Batches.Reports;

/// <summary>
/// One image as the report page's script reads it: a manifest row with its outputs sorted into the overlay, other
/// images (component grids) and other files (maps, component maps).
/// </summary>
/// <param name="Name">The input's file name.</param>
/// <param name="Input">The input's full path.</param>
/// <param name="Class">The class explained, or <c>null</c>.</param>
/// <param name="Score">The target's score, or <c>null</c>.</param>
/// <param name="Target">What was explained, in words.</param>
/// <param name="Error">Why the image failed, or <c>null</c>.</param>
/// <param name="Overlay">The overlay PNG (relative to the page), or <c>null</c> when none was written.</param>
/// <param name="Images">The other PNGs written for the image.</param>
/// <param name="Files">The other files written for the image.</param>
/// <param name="Box">A detector's row: the box, its label and detection score in words; <c>null</c> otherwise.</param>
internal sealed record ReportImage(string Name, string Input, long? Class, float? Score, string Target, string? Error,
    string? Overlay, IReadOnlyList<string> Images, IReadOnlyList<string> Files, string? Box)
{
    /// <summary>The image of <paramref name="row"/>: its overlay is the PNG named as its map (<see cref="ImageSetRun.OutputStem"/>).</summary>
    public static ReportImage Of(ManifestRow row)
    {
        string? overlay = row.Outputs.Count > 0 ? row.Outputs.FirstOrDefault(o => o == Path.ChangeExtension(row.Outputs[0], ".png")) : null;
        var pngs = row.Outputs.Where(o => o != overlay && o.EndsWith(".png", StringComparison.OrdinalIgnoreCase)).ToArray();
        var files = row.Outputs.Where(o => o != overlay && !pngs.Contains(o)).ToArray();
        string name = Path.GetFileName(row.Input.Replace('\\', '/').TrimEnd('/'));
        string? box = row.Box is { Count: 4 } b
            ? $"{new Detection.BoundingBox(b[0], b[1], b[2], b[3])} {Imaging.LabeledBox.Tag(row.Label ?? $"class {row.Class}", row.DetectionScore)}" : null;
        string target = row.Detections == 0 ? "no detection" : row.Target ?? "top class";
        return new ReportImage(name.Length > 0 ? name : row.Input, row.Input, row.Class, row.Score, target, row.Error, overlay, pngs, files, box);
    }
}
