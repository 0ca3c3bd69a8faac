using System.Globalization;
namespace DecomCamNet;

/// <summary>How an <see cref="IntermediateImage"/> is drawn and written.</summary>
public enum IntermediateDrawing
{
    /// <summary>
    /// One map per component at input size, [M,Q,H,W]: drawn as a grid of overlays on the image, and written by image
    /// sets as one <c>.npy</c> [Q,H,W] per image.
    /// </summary>
    ComponentGrid,

    /// <summary>
    /// Concept maps at feature resolution, [M,K,h,w]: drawn together in one picture, a colour per concept
    /// (<see cref="Imaging.ConceptImageWriter"/>).
    /// </summary>
    Concepts,
}

/// <summary>
/// An intermediate of a <see cref="CamResult"/> worth writing as a picture, as the method that made it declares it
/// (<see cref="CamResult.IntermediateImages"/>): writers (image sets, the command line) write what a result declares
/// without knowing the method.
/// </summary>
/// <param name="Name">The intermediate, as <see cref="CamResult.Intermediate"/> takes it (that of the first target layer).</param>
/// <param name="Drawing">How it is drawn and written.</param>
/// <param name="FileSuffix">What its files add to the name of the map or overlay they go with: <c>NAME_FileSuffix.png</c>.</param>
/// <param name="ClassScores">For <see cref="IntermediateDrawing.Concepts"/>: the intermediate [K,classes] of each concept's
/// class logits, reported beside the picture; null when there is none.</param>
/// <param name="Weights">For <see cref="IntermediateDrawing.ComponentGrid"/>: the intermediate [M,Q] of the weight each
/// component takes in the map (the map sums the components in their order), printed on its panel, reported beside the grid
/// and written to an image set's manifest; null when there is none.</param>
/// <param name="SingularValues">For <see cref="IntermediateDrawing.ComponentGrid"/>: the intermediate [M,Q] of each
/// component's singular value, shown and written as <paramref name="Weights"/> are; null when there is none.</param>
public sealed record IntermediateImage(string Name, IntermediateDrawing Drawing, string FileSuffix, string? ClassScores = null,
    string? Weights = null, string? SingularValues = null)
{
    /// <summary>
    /// The label of panel <paramref name="component"/> (0-based) of a component grid: its number in the order the map sums
    /// the components, then its weight and singular value where known (<c>1: w 0.84 s 12.3</c>).
    /// </summary>
    public static string PanelLabel(int component, float? weight, float? singularValue)
    {
        var parts = new List<string> { string.Create(CultureInfo.InvariantCulture, $"{component + 1}:") };
        if (weight is float w) parts.Add(string.Create(CultureInfo.InvariantCulture, $"w {w:0.###}"));
        if (singularValue is float s) parts.Add(string.Create(CultureInfo.InvariantCulture, $"s {s:0.##}"));
        return string.Join(" ", parts);
    }
}
