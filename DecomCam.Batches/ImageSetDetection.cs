using System.Globalization;
using DecomCamNet.Detection;
using static TorchSharp.torch;

namespace DecomCamNet.Batches;

/// <summary>
/// Makes an image-set run explain a YOLO-style detector (<see cref="ImageSetOptions.Detection"/>): each image goes through
/// <see cref="Model"/> once, its boxes are chosen (<see cref="BoxSelection"/>: the detections, or <see cref="Boxes"/>), and the
/// method explains every box with <see cref="CamTarget.Boxes"/>; the manifest gets one row per box, or one row saying that
/// the image has none.
/// </summary>
/// <param name="Model">The detector the method is bound to (the detections come from a plain forward without gradients).</param>
/// <param name="Layout">How its output is decoded.</param>
public sealed record ImageSetDetection(nn.Module<Tensor, Tensor> Model, DetectionLayout Layout)
{
    /// <summary>How detections are filtered: confidence, IoU of the suppression, the most per image.</summary>
    public DetectionOptions Options { get; init; } = new();

    /// <summary>Boxes to explain in every image instead of the detections; empty for the detections.</summary>
    public IReadOnlyList<GivenBox> Boxes { get; init; } = [];

    /// <summary>Class names by index for the manifest's <c>label</c>; <c>class k</c> for a class without one.</summary>
    public IReadOnlyList<string>? Labels { get; init; }

    /// <summary>The name of class <paramref name="classIndex"/>.</summary>
    public string LabelOf(int classIndex) =>
        Labels is not null && classIndex >= 0 && classIndex < Labels.Count ? Labels[classIndex] : $"class {classIndex}";

    /// <summary>What the run explains, for the manifest's <c>target</c>.</summary>
    internal string TargetDescription => Boxes.Count > 0 ? "given boxes" : "each detection";

    /// <summary>The settings that decide which boxes are explained, in words, for <see cref="ImageSetRun.Settings"/>.</summary>
    internal string Describe() => Boxes.Count > 0
        ? string.Create(CultureInfo.InvariantCulture, $"{Layout}, boxes {string.Join(" ", Boxes.Select(b => $"{b.Box}:{b.ClassIndex?.ToString(CultureInfo.InvariantCulture) ?? "detected class"}"))}")
        : string.Create(CultureInfo.InvariantCulture,
            $"{Layout}, confidence above {Options.ConfidenceThreshold}, IoU {Options.IouThreshold}, at most {Options.MaxDetections} per image ({Options.MaxCandidates} candidates)");

    /// <summary>The boxes of each image of <paramref name="input"/> [N,C,H,W], from one forward of <see cref="Model"/> without gradients.</summary>
    internal IReadOnlyList<IReadOnlyList<SelectedBox>> Select(Tensor input)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return BoxSelection.Select(DetectionDecoder.Decode(Model.call(input), Layout), Options, Boxes);
    }
}
