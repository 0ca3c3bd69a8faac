using System.Globalization;
using DecomCamNet.Batches;
using DecomCamNet.Detection;
using DecomCamNet.Imaging;
using DecomCamNet.Models;
using static TorchSharp.torch;

namespace DecomCamNet.Cli;

/// <summary>
/// <c>explain</c> on a detector: the boxes to explain (the model's detections, or <c>--box</c>), the box target, what
/// each row reports and the boxes each row's overlay draws; for an image set, the <see cref="ImageSetDetection"/> that
/// chooses each image's boxes as the set runs.
/// </summary>
internal sealed class DetectionSetup
{
    private readonly (int Image, ReferenceBox Box, string Label)[] _rows;

    private DetectionSetup(CamTarget target, (int Image, ReferenceBox Box, string Label)[] rows)
    {
        Target = target;
        _rows = rows;
    }

    /// <summary>One box target per explained box, image-major.</summary>
    public CamTarget Target { get; }

    /// <summary>
    /// The setup when the model is a detector (<c>--detector</c>, or a zoo detector such as scenedet), else null.
    /// </summary>
    public static DetectionSetup? Create(CliOptions options, nn.Module<Tensor, Tensor> model, string modelName, bool onnx, Tensor input, string[]? labels)
    {
        if (Layout(options, modelName, onnx) is not DetectionLayout kind) return null;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        DecodedPredictions decoded;
        try { decoded = DetectionDecoder.Decode(model.call(input), kind); }
        catch (ArgumentException e) { throw new CliException($"--detector {Name(kind)}: {e.Message}"); }
        string ClassName(int c) => labels is not null && c < labels.Length ? labels[c] : $"class {c}";
        var given = options.Boxes.Select(b => ParseBox(b, labels, decoded.ClassCount)).ToArray();
        var selected = BoxSelection.Select(decoded, Detection(options), given);
        var rows = new List<(int, ReferenceBox, string)>();
        for (int n = 0; n < selected.Count; n++)
        {
            if (selected[n].Count == 0)
                throw new CliException(string.Create(CultureInfo.InvariantCulture, $"Image {n}: no detection scores above --confidence {options.Confidence}; lower it, or give --box."));
            rows.AddRange(selected[n].Select(b => (n, b.Reference, LabeledBox.Tag(ClassName(b.Reference.ClassIndex), b.DetectionScore))));
        }
        var perImage = selected.Select(image => (IReadOnlyList<ReferenceBox>)image.Select(b => b.Reference).ToArray()).ToArray();
        return new DetectionSetup(CamTarget.Boxes(perImage, layout: kind), rows.ToArray());
    }

    /// <summary>
    /// An image set's detection (<see cref="ImageSetDetection"/>) when the model is a detector, else null: the same layout,
    /// thresholds and <c>--box</c> list as one image's, each image's boxes chosen as the set runs.
    /// </summary>
    public static ImageSetDetection? ForSet(CliOptions options, nn.Module<Tensor, Tensor> model, string modelName, bool onnx, string[]? labels)
    {
        if (Layout(options, modelName, onnx) is not DetectionLayout kind) return null;
        if (options.Targets is not null) throw new CliException("--target explains classifiers; a detector's targets are its boxes (--box, or its detections).");
        return new ImageSetDetection(model, kind)
        {
            Options = Detection(options),
            Boxes = options.Boxes.Select(b => ParseBox(b, labels, labels?.Length)).ToArray(),
            Labels = labels,
        };
    }

    /// <summary>What row <paramref name="row"/> explains, with its target score (class score + IoU of the matched prediction).</summary>
    public string Describe(int row, float targetScore) =>
        string.Create(CultureInfo.InvariantCulture, $"box {_rows[row].Box.Box} {_rows[row].Label}, target score {targetScore:F4}");

    /// <summary>The explained boxes of row <paramref name="row"/>'s image, its own highlighted, with their labels.</summary>
    public IReadOnlyList<LabeledBox> BoxesOf(int row) =>
        _rows.Select((r, i) => (r, i)).Where(x => x.r.Image == _rows[row].Image)
            .Select(x => new LabeledBox(x.r.Box.Box, x.r.Label, x.i == row)).ToArray();

    /// <summary>The image row <paramref name="row"/> explains a box of.</summary>
    public int ImageOf(int row) => _rows[row].Image;

    /// <summary>Row <paramref name="row"/>'s own box alone, highlighted with its label: what its grid panel draws.</summary>
    public LabeledBox OwnBox(int row) => new(_rows[row].Box.Box, _rows[row].Label);

    /// <summary>A grid panel's caption: <c>1: square 0.97, target 1.97</c> (the row, the box's label, its target score).</summary>
    public string PanelCaption(int row, float targetScore) =>
        string.Create(CultureInfo.InvariantCulture, $"{row}: {_rows[row].Label}, target {targetScore:F2}");

    /// <summary>The detector's layout (<c>--detector</c>, else a zoo detector's), or null for another model, which takes no <c>--box</c>.</summary>
    private static DetectionLayout? Layout(CliOptions options, string modelName, bool onnx)
    {
        var layout = options.Detector ?? (onnx ? null : ModelZoo.DetectionLayoutOf(modelName));
        if (layout is null && options.Boxes.Length > 0)
            throw new CliException($"--box needs a detector: {modelName} is not one (give --detector yolov8|yolov5 for a YOLO-style model).");
        return layout;
    }

    private static string Name(DetectionLayout layout) => layout == DetectionLayout.YoloV8 ? "yolov8" : "yolov5";

    /// <summary>How the CLI's detection options filter detections.</summary>
    public static DetectionOptions Detection(CliOptions options) => new() { ConfidenceThreshold = options.Confidence, MaxDetections = options.MaxDetections };

    /// <summary>The <c>--box</c> values; a class is checked against <paramref name="classes"/> when the count is known.</summary>
    public static GivenBox ParseBox(string text, string[]? labels, long? classes)
    {
        var parts = text.Split(':', 2);
        var corners = parts[0].Split(',');
        var values = new float[4];
        if (corners.Length != 4 || !corners.Select((c, i) => float.TryParse(c, NumberStyles.Float, CultureInfo.InvariantCulture, out values[i])).All(ok => ok))
            throw new CliException($"--box takes X1,Y1,X2,Y2[:CLASS] in input pixels; got '{text}'.");
        var box = new BoundingBox(values[0], values[1], values[2], values[3]);
        if (!(box.X2 > box.X1 && box.Y2 > box.Y1)) throw new CliException($"--box '{text}': x2 must exceed x1 and y2 must exceed y1.");
        if (parts.Length == 1) return new GivenBox(box);
        string cls = parts[1].Trim();
        int index = int.TryParse(cls, NumberStyles.None, CultureInfo.InvariantCulture, out int k) ? k
            : labels is not null && Array.FindIndex(labels, l => string.Equals(l, cls, StringComparison.OrdinalIgnoreCase)) is int found and >= 0 ? found
            : throw new CliException($"--box '{text}': '{cls}' is neither a class index nor one of the labels{(labels is null ? "" : $" ({string.Join(", ", labels)})")}.");
        if (index >= classes) throw new CliException($"--box '{text}': class {index} is out of range: the detector has {classes} classes (valid 0..{classes - 1}).");
        return new GivenBox(box, index);
    }
}
