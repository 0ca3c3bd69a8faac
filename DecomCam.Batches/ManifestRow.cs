using System.Text.Json.Serialization;

namespace DecomCamNet.Batches;

/// <summary>
/// One image of a set run, as a line of the JSON-lines manifest: what was explained, with what, the outcome and the files
/// written. A failed image has <see cref="Error"/> set and no outputs. A detector's run (<see cref="ImageSetOptions.Detection"/>)
/// writes one row per explained box of an image (<see cref="Detection"/> 0, 1, ...: its rows are appended together), or one
/// row with <see cref="Detections"/> 0 and no outputs for an image without any.
/// </summary>
/// <param name="Input">The image file (full path).</param>
/// <param name="Sha256">SHA-256 of the file's bytes, lower-case hex; empty when the file could not be read.</param>
/// <param name="Model">The model's name.</param>
/// <param name="Method">The CAM method's name.</param>
/// <param name="Layer">The target layer(s), joined with <c>+</c>.</param>
/// <param name="Target">What was explained (<see cref="CamTarget.Description"/>: <c>class 2</c>, <c>softmax of class 2</c>,
/// <c>sum of classes [1,2]</c>), or <c>null</c> for each image's top class.</param>
/// <param name="Class">The class explained (a detector's: the box's class), or <c>null</c> on error, for a target of several
/// classes (a sum), and for an image without detections.</param>
/// <param name="Score">The target's score (a detector's: the box-match score, class score plus IoU), or <c>null</c> on error.</param>
/// <param name="Seconds">Model time for the image: its batch's time divided by the batch's size (an image explained again
/// alone after the method refused its batch: its own call's time plus its share of the refused one).</param>
/// <param name="Outputs">Files written for the image, relative to the output folder.</param>
/// <param name="Error">Why the image failed, or <c>null</c>.</param>
/// <param name="OssmWeights">The weight of each component map the method declares with weights
/// (<see cref="IntermediateImage.Weights"/>: DecomCAM's OSSMs, in the order the map sums them), or <c>null</c> (other methods,
/// failed images, manifests written before these fields).</param>
/// <param name="OssmSingularValues">Those components' singular values (<see cref="IntermediateImage.SingularValues"/>), or <c>null</c>.</param>
/// <param name="Detection">A detector's row: which box of the image (0-based, highest detection score first, or the given
/// boxes' order); <c>null</c> for classifiers, failed images and an image without detections.</param>
/// <param name="Detections">A detector's row: how many boxes the image has rows for (0: none detected); <c>null</c> for classifiers
/// and failed images.</param>
/// <param name="Box">The box as x1, y1, x2, y2 in model-input pixels, or <c>null</c>.</param>
/// <param name="Label">The box's class name, or <c>null</c>.</param>
/// <param name="DetectionScore">The detector's score for the box (class score, times objectness for YOLOv5), or <c>null</c>
/// (a given box, no box).</param>
public sealed record ManifestRow(
    [property: JsonPropertyName("input")] string Input,
    [property: JsonPropertyName("sha256")] string Sha256,
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("method")] string Method,
    [property: JsonPropertyName("layer")] string Layer,
    [property: JsonPropertyName("target")] string? Target,
    [property: JsonPropertyName("class")] long? Class,
    [property: JsonPropertyName("score")] float? Score,
    [property: JsonPropertyName("seconds")] double Seconds,
    [property: JsonPropertyName("outputs")] IReadOnlyList<string> Outputs,
    [property: JsonPropertyName("error")] string? Error,
    [property: JsonPropertyName("ossm_weights"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<float>? OssmWeights = null,
    [property: JsonPropertyName("ossm_singular_values"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<float>? OssmSingularValues = null,
    [property: JsonPropertyName("detection"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Detection = null,
    [property: JsonPropertyName("detections"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Detections = null,
    [property: JsonPropertyName("box"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<float>? Box = null,
    [property: JsonPropertyName("label"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Label = null,
    [property: JsonPropertyName("detection_score"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] float? DetectionScore = null)
{
    /// <summary>Whether the row begins an attempt at its input: every row but a detector's second and later boxes of an image.</summary>
    [JsonIgnore]
    public bool StartsAttempt => Detection is null or 0;
}
