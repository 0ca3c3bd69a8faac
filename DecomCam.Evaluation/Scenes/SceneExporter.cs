using System.Globalization;
using System.Text.Json;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace DecomCamNet.Evaluation.Scenes;

/// <summary>
/// Writes generated scenes to a folder anyone can inspect, and reads them back.
/// </summary>
/// <remarks>
/// Per scene i: <c>scene_{i:00000}.png</c> (8-bit RGB) and <c>scene_{i:00000}_mask.png</c> (8-bit greyscale) whose
/// value is the <b>object index + 1</b> in drawing order, 0 for background; the object's class is in the manifest. One
/// <c>scenes.json</c> holds the seed, the options, the class names and, per scene, the file names, the labels present
/// and each object's mask value, class, box [x, y, w, h], visible and full pixel counts, occlusion, centre, radius,
/// rotation and contrast.
/// </remarks>
public static class SceneExporter
{
    /// <summary>The manifest's file name.</summary>
    public const string ManifestName = "scenes.json";

    /// <summary>What the mask PNGs hold, as written to the manifest.</summary>
    public const string MaskEncoding = "object index + 1 (drawing order), 0 = background";

    private static readonly PngEncoder RgbPng = new() { ColorType = PngColorType.Rgb, BitDepth = PngBitDepth.Bit8 };
    private static readonly PngEncoder GreyPng = new() { ColorType = PngColorType.Grayscale, BitDepth = PngBitDepth.Bit8 };

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
    };

    /// <summary>Generates scenes 0 to <paramref name="count"/> - 1 and writes them to <paramref name="folder"/>.</summary>
    /// <param name="generator">The generator.</param>
    /// <param name="count">Number of scenes (0 or more).</param>
    /// <param name="folder">The output folder; created if needed. Existing files of the same names are replaced.</param>
    /// <param name="progress">Gets the number of scenes written so far after each scene.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative.</exception>
    public static void Export(SceneGenerator generator, int count, string folder, IProgress<int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        Directory.CreateDirectory(folder);
        var manifest = new SceneManifest
        {
            Seed = generator.Seed,
            Options = generator.Options,
            Classes = [.. SceneShapes.Classes],
            MaskEncoding = MaskEncoding,
        };
        for (int i = 0; i < count; i++)
        {
            var scene = generator.Generate(i);
            string image = FileName(i, ""), mask = FileName(i, "_mask");
            using (var rgb = scene.ToImage())
                rgb.Save(Path.Combine(folder, image), RgbPng);
            using (var grey = Image.LoadPixelData<L8>(scene.ObjectIndexMask(), scene.Size, scene.Size))
                grey.Save(Path.Combine(folder, mask), GreyPng);
            manifest.Scenes.Add(new SceneEntry
            {
                Index = scene.Index,
                Image = image,
                Mask = mask,
                Size = scene.Size,
                Labels = [.. scene.ClassIndices],
                Objects = [.. scene.Objects.Select((o, k) => new SceneObjectEntry
                {
                    MaskValue = k + 1,
                    ClassIndex = o.ClassIndex,
                    ClassName = o.ClassName,
                    Box = [o.Box.X, o.Box.Y, o.Box.W, o.Box.H],
                    Pixels = o.PixelCount,
                    FullPixels = o.FullPixelCount,
                    OccludedFraction = Math.Round(o.OccludedFraction, 4),
                    CenterX = o.CenterX,
                    CenterY = o.CenterY,
                    Radius = o.Radius,
                    RotationDegrees = o.RotationDegrees,
                    Contrast = o.Contrast,
                })],
            });
            progress?.Report(i + 1);
        }
        File.WriteAllText(Path.Combine(folder, ManifestName), JsonSerializer.Serialize(manifest, Json));
    }

    /// <summary>Reads a folder written by <see cref="Export"/>: pixels from the PNGs, masks from the mask PNGs, the rest from the manifest.</summary>
    /// <param name="folder">The folder.</param>
    /// <returns>The seed, options and scenes.</returns>
    /// <exception cref="FileNotFoundException">The manifest or a PNG is missing.</exception>
    /// <exception cref="InvalidDataException">The manifest cannot be read or does not match the PNGs.</exception>
    public static SceneSet Load(string folder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        string path = Path.Combine(folder, ManifestName);
        if (!File.Exists(path))
            throw new FileNotFoundException($"No {ManifestName} in '{folder}'.", path);
        SceneManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<SceneManifest>(File.ReadAllText(path), Json);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"'{path}' is not a scene manifest: {ex.Message}", ex);
        }
        if (manifest is null)
            throw new InvalidDataException($"'{path}' is empty.");

        var scenes = new List<Scene>(manifest.Scenes.Count);
        foreach (var entry in manifest.Scenes)
        {
            int size = entry.Size;
            byte[] rgb = ReadPixels<Rgb24>(Path.Combine(folder, entry.Image), size, 3);
            byte[] index = ReadPixels<L8>(Path.Combine(folder, entry.Mask), size, 1);
            var objects = new List<SceneObject>(entry.Objects.Count);
            foreach (var o in entry.Objects)
            {
                if (o.Box.Length != 4)
                    throw new InvalidDataException($"'{path}': scene {entry.Index} has an object box of {o.Box.Length} numbers, not 4.");
                var mask = new bool[size * size];
                for (int p = 0; p < mask.Length; p++)
                    mask[p] = index[p] == o.MaskValue;
                objects.Add(new SceneObject(o.ClassIndex, o.ClassName, mask, (o.Box[0], o.Box[1], o.Box[2], o.Box[3]), o.FullPixels,
                    o.CenterX, o.CenterY, o.Radius, o.RotationDegrees, o.Contrast));
            }
            scenes.Add(new Scene(entry.Index, rgb, size, objects));
        }
        return new SceneSet(manifest.Seed, manifest.Options, scenes);
    }

    /// <summary>The file name of scene <paramref name="index"/> with a suffix before <c>.png</c>.</summary>
    private static string FileName(int index, string suffix) =>
        string.Create(CultureInfo.InvariantCulture, $"scene_{index:00000}{suffix}.png");

    private static byte[] ReadPixels<TPixel>(string file, int size, int bytesPerPixel)
        where TPixel : unmanaged, IPixel<TPixel>
    {
        if (!File.Exists(file))
            throw new FileNotFoundException($"Scene file '{file}' is missing.", file);
        using var image = Image.Load<TPixel>(file);
        if (image.Width != size || image.Height != size)
            throw new InvalidDataException($"'{file}' is {image.Width}x{image.Height}, the manifest says {size}x{size}.");
        var bytes = new byte[size * size * bytesPerPixel];
        image.CopyPixelDataTo(bytes);
        return bytes;
    }
}
