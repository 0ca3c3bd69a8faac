using DecomCamNet.Imaging;

namespace DecomCamNet.Batches;

/// <summary>How <see cref="ImageSetRun"/> explains a set and what it writes.</summary>
public sealed record ImageSetOptions
{
    /// <summary>Images stacked into one model batch (images of one size; other sizes wait for their own batch).</summary>
    public int ImagesPerBatch { get; init; } = 8;

    /// <summary>Threads that read, hash, decode and preprocess images while the model runs.</summary>
    public int Decoders { get; init; } = Math.Max(1, Math.Min(4, Environment.ProcessorCount / 2));

    /// <summary>Decoded images waiting for the model, at most: the queue's bound, so memory does not grow with the set.</summary>
    public int QueueCapacity { get; init; } = 32;

    /// <summary>Write the overlay PNG of each image.</summary>
    public bool WriteOverlay { get; init; } = true;

    /// <summary>
    /// Give each overlay a strip below it with what was explained and its score, and a colour bar; false for bare overlays
    /// of the image's size.
    /// </summary>
    public bool CaptionOverlay { get; init; } = true;

    /// <summary>
    /// Write each image's component maps that the method declares (<see cref="CamResult.IntermediateImages"/> drawn as
    /// <see cref="IntermediateDrawing.ComponentGrid"/>) as <c>NAME_suffix.npy</c> [Q,H,W].
    /// </summary>
    public bool WriteComponents { get; init; }

    /// <summary>Overlay opacity in [0, 1].</summary>
    public float Alpha { get; init; } = 0.5f;

    /// <summary>
    /// What to explain in every image (a class, its softmax or sigmoid, a sum of classes: any target that does not need one
    /// entry per image), or <c>null</c> for each image's top class. The manifest records its <see cref="CamTarget.Description"/>.
    /// </summary>
    public CamTarget? Target { get; init; }

    /// <summary>
    /// Explain a detector's boxes rather than a class: each image's detections (or given boxes), one map, overlay and
    /// manifest row per box, and a row saying so for an image without any; <c>null</c> for a classifier. Takes no
    /// <see cref="Target"/>.
    /// </summary>
    public ImageSetDetection? Detection { get; init; }

    /// <summary>The element type of the written maps and component maps (<c>.npy</c>): float32, or float16 for half the bytes.</summary>
    public NpyDtype MapDtype { get; init; } = NpyDtype.Float32;

    /// <summary>The model's name, as written in the manifest.</summary>
    public string Model { get; init; } = "";

    /// <summary>
    /// What else decides the maps, by name (for example the weights file's SHA-256 and the method's options), recorded in
    /// the plan beside the settings the run knows itself (<see cref="ImageSetRun.Settings"/>) and compared on resume.
    /// </summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();
}
