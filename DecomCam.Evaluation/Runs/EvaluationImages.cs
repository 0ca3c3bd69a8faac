using DecomCamNet.Batches;
using DecomCamNet.Evaluation.Scenes;
using DecomCamNet.Imaging;
using static TorchSharp.torch;

namespace DecomCamNet.Evaluation.Runs;

/// <summary>
/// The images an evaluation explains: generated scenes (with true masks per class) or a folder of PNG/JPEG images (with an
/// optional folder of masks of the same names).
/// </summary>
public sealed class EvaluationImages
{
    private readonly SceneGenerator? _scenes;
    private readonly string[] _files;
    private readonly string? _masks;
    private readonly string[]? _labels;
    private readonly ImagePreprocessing _preprocessing;

    private EvaluationImages(SceneGenerator? scenes, string[] files, string? masks, string[]? labels, ImagePreprocessing preprocessing, int count, string description)
    {
        (_scenes, _files, _masks, _labels, _preprocessing, Count, Description) = (scenes, files, masks, labels, preprocessing, count, description);
    }

    /// <summary>How many images the set holds.</summary>
    public int Count { get; }

    /// <summary>The images of the folder that the count left out (0 for generated scenes and for a folder taken whole).</summary>
    public int LeftOut { get; private init; }

    /// <summary>The set in words, for the report (e.g. "20 generated scenes (seed 1, ...)").</summary>
    public string Description { get; }

    /// <summary>Whether the images are files, which can be sharded by content (<see cref="ShardBy.ContentHash"/>).</summary>
    public bool HasFiles => _scenes is null;

    /// <summary>
    /// <paramref name="count"/> scenes of <see cref="SceneGenerator"/> with <paramref name="seed"/>. A scene has the true mask
    /// of a predicted class when <paramref name="labels"/> names the model's classes and the class is one of
    /// <see cref="SceneShapes.Classes"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is below 1.</exception>
    public static EvaluationImages Scenes(int count, int seed, IReadOnlyList<string>? labels, ImagePreprocessing preprocessing)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        return new EvaluationImages(new SceneGenerator(seed), Array.Empty<string>(), null, labels?.ToArray(), preprocessing, count,
            $"{count} generated scenes (seed {seed}, 128x128, 1-3 objects of {SceneShapes.Classes.Count} shape classes, clutter)");
    }

    /// <summary>
    /// The PNG/JPEG images of <paramref name="folder"/>, sorted by name, at most <paramref name="count"/>; with
    /// <paramref name="masks"/>, the mask PNG of the same name (non-zero = object) where there is one.
    /// </summary>
    /// <exception cref="EvaluationInputException">A folder does not exist, or <paramref name="folder"/> holds no images.</exception>
    public static EvaluationImages Folder(string folder, string? masks, int count, ImagePreprocessing preprocessing)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        if (!Directory.Exists(folder)) throw new EvaluationInputException($"Images folder '{folder}' does not exist.");
        var all = Directory.GetFiles(folder)
            .Where(f => f.EndsWith(".png", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".jpeg", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal).ToArray();
        var files = all.Take(count).ToArray();
        if (files.Length == 0) throw new EvaluationInputException($"Images folder '{folder}' has no PNG or JPEG files.");
        if (masks is not null && !Directory.Exists(masks)) throw new EvaluationInputException($"Masks folder '{masks}' does not exist.");
        string description = files.Length < all.Length ? $"the first {files.Length} of {all.Length} images from {folder}" : $"{files.Length} images from {folder}";
        return new EvaluationImages(null, files, masks, null, preprocessing, files.Length, description) { LeftOut = all.Length - files.Length };
    }

    /// <summary>The key that places image <paramref name="index"/> in a shard by content (<see cref="ContentHash.ForSharding"/>).</summary>
    /// <exception cref="InvalidOperationException">The images are generated scenes, which have no files.</exception>
    public string ShardKey(int index) => _scenes is null
        ? ContentHash.ForSharding(_files[index])
        : throw new InvalidOperationException("Generated scenes have no files to hash; shard them by position.");

    /// <summary>The images of <paramref name="indices"/> (positions in the set) as one batch on <paramref name="device"/> (same size required).</summary>
    /// <exception cref="EvaluationInputException">The images are of different sizes.</exception>
    internal EvaluationBatch Batch(IReadOnlyList<int> indices, Device device)
    {
        int count = indices.Count;
        var names = new string[count];
        var tensors = new Tensor[count];
        var masks = new Func<int, bool[]?>[count];
        for (int i = 0; i < count; i++)
        {
            int index = indices[i];
            if (_scenes is not null)
            {
                var scene = _scenes.Generate(index);
                names[i] = $"scene_{index:D5}";
                tensors[i] = scene.ToTensor(_preprocessing);
                masks[i] = modelClass => _labels is not null && modelClass < _labels.Length && SceneShapes.Classes.Contains(_labels[modelClass])
                    ? scene.UnionMask(SceneShapes.IndexOf(_labels[modelClass])) : null;
            }
            else
            {
                string file = _files[index];
                names[i] = Path.GetFileName(file);
                tensors[i] = ImageLoader.Load(file, _preprocessing);
                string? maskPath = _masks is null ? null : Path.Combine(_masks, Path.GetFileNameWithoutExtension(file) + ".png");
                var mask = maskPath is not null && File.Exists(maskPath) ? MaskImage.Read(maskPath, _preprocessing).Mask : null;
                masks[i] = _ => mask;
            }
        }
        var shapes = tensors.Select(t => $"{t.shape[2]}x{t.shape[3]}").Distinct().ToArray();
        if (shapes.Length > 1) throw new EvaluationInputException($"Images {string.Join(", ", names)} have different sizes ({string.Join(", ", shapes)}); give images of one size.");
        return new EvaluationBatch(indices.ToArray(), names, cat(tensors, 0).to(device), masks);
    }
}

/// <summary>One batch of an evaluation's images, with the true mask of a class per image when known.</summary>
internal sealed record EvaluationBatch(int[] Indices, string[] Names, Tensor Images, Func<int, bool[]?>[] Masks)
{
    public int Count => Names.Length;

    /// <summary>Masks [N,H,W] (bool) of each image's <paramref name="classes"/> (all false where unknown); null when no image has one.</summary>
    /// <exception cref="EvaluationInputException">A mask is not of its image's size.</exception>
    public Tensor? MasksFor(int[] classes)
    {
        var masks = classes.Select((c, i) => Masks[i](c)).ToArray();
        if (masks.All(m => m is null)) return null;
        long h = Images.shape[2], w = Images.shape[3];
        var flat = masks.SelectMany(m => m ?? new bool[h * w]).ToArray();
        if (flat.Length != Count * h * w) throw new EvaluationInputException($"A mask does not match its image's size {w}x{h}.");
        return tensor(flat, new long[] { Count, h, w }).to(Images.device);
    }
}
