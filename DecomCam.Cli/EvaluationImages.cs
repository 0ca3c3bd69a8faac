using DecomCamNet.Evaluation;
using DecomCamNet.Imaging;
using static TorchSharp.torch;

namespace DecomCamNet.Cli;

/// <summary>The images <c>evaluate</c> explains: generated scenes (with true masks per class) or a folder (masks optional).</summary>
internal sealed class EvaluationImages
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

    public int Count { get; }

    public string Description { get; }

    /// <summary>Scenes of <see cref="EvaluateOptions.Seed"/>, or the images of <see cref="EvaluateOptions.Images"/>.</summary>
    public static EvaluationImages Open(EvaluateOptions options, string[]? labels, ImagePreprocessing preprocessing)
    {
        if (options.Images is null)
            return new EvaluationImages(new SceneGenerator(options.Seed), Array.Empty<string>(), null, labels, preprocessing, options.Count,
                $"{options.Count} generated scenes (seed {options.Seed}, 128x128, 1-3 objects of {SceneShapes.Classes.Count} shape classes, clutter)");
        if (!Directory.Exists(options.Images)) throw new CliException($"Images folder '{options.Images}' does not exist.");
        var files = Directory.GetFiles(options.Images)
            .Where(f => f.EndsWith(".png", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".jpeg", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal).Take(options.Count).ToArray();
        if (files.Length == 0) throw new CliException($"Images folder '{options.Images}' has no PNG or JPEG files.");
        if (options.Masks is not null && !Directory.Exists(options.Masks)) throw new CliException($"Masks folder '{options.Masks}' does not exist.");
        return new EvaluationImages(null, files, options.Masks, null, preprocessing, files.Length, $"{files.Length} images from {options.Images}");
    }

    /// <summary>The key that places image <paramref name="index"/> in a shard by content (<see cref="Batches.ContentHash.ForSharding"/>).</summary>
    /// <exception cref="InvalidOperationException">The images are generated scenes, which have no files.</exception>
    public string ShardKey(int index) => _scenes is null
        ? Batches.ContentHash.ForSharding(_files[index])
        : throw new InvalidOperationException("Generated scenes have no files to hash; shard them by position.");

    /// <summary>The images of <paramref name="indices"/> (positions in the set) as one batch (same size required).</summary>
    public EvaluationBatch Batch(IReadOnlyList<int> indices)
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
                var mask = maskPath is not null && File.Exists(maskPath) ? MaskImage.Read(maskPath).Mask : null;
                masks[i] = _ => mask;
            }
        }
        var shapes = tensors.Select(t => $"{t.shape[2]}x{t.shape[3]}").Distinct().ToArray();
        if (shapes.Length > 1) throw new CliException($"Images {string.Join(", ", names)} have different sizes ({string.Join(", ", shapes)}); give images of one size.");
        return new EvaluationBatch(indices.ToArray(), names, cat(tensors, 0), masks);
    }
}

/// <summary>One batch of <c>evaluate</c>'s images, with the true mask of a class per image when known.</summary>
internal sealed record EvaluationBatch(int[] Indices, string[] Names, Tensor Images, Func<int, bool[]?>[] Masks)
{
    public int Count => Names.Length;

    /// <summary>Masks [N,H,W] (bool) of each image's <paramref name="classes"/> (all false where unknown); null when no image has one.</summary>
    public Tensor? MasksFor(int[] classes)
    {
        var masks = classes.Select((c, i) => Masks[i](c)).ToArray();
        if (masks.All(m => m is null)) return null;
        long h = Images.shape[2], w = Images.shape[3];
        var flat = masks.SelectMany(m => m ?? new bool[h * w]).ToArray();
        if (flat.Length != Count * h * w) throw new CliException($"A mask does not match its image's size {w}x{h}.");
        return tensor(flat, new long[] { Count, h, w }).to(Images.device);
    }
}
