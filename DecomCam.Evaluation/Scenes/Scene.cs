using DecomCamNet.Detection;
using DecomCamNet.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace DecomCamNet.Evaluation.Scenes;

/// <summary>A generated scene: its pixels and the ground truth of its objects.</summary>
/// <param name="Index">The scene's index within its generator's seed.</param>
/// <param name="Rgb">Size * Size * 3 bytes, row-major, interleaved R, G, B.</param>
/// <param name="Size">Width and height in pixels.</param>
/// <param name="Objects">The objects in drawing order (later ones lie on top).</param>
/// <remarks>Equality is the record's: arrays compare by reference. Compare <see cref="Rgb"/> and masks with
/// <c>SequenceEqual</c>.</remarks>
public sealed record Scene(int Index, byte[] Rgb, int Size, IReadOnlyList<SceneObject> Objects)
{
    /// <summary>Multi-hot class labels: 1 for every class with at least one object in the scene, else 0.</summary>
    /// <param name="classes">Length of the vector, normally <c>SceneShapes.Classes.Count</c>.</param>
    /// <returns>A new array of <paramref name="classes"/> values.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An object's class does not fit in <paramref name="classes"/>.</exception>
    public float[] LabelVector(int classes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classes);
        var labels = new float[classes];
        foreach (var o in Objects)
        {
            if (o.ClassIndex >= classes)
                throw new ArgumentOutOfRangeException(nameof(classes), classes, $"The scene has an object of class {o.ClassIndex} ({o.ClassName}), which needs at least {o.ClassIndex + 1} classes.");
            labels[o.ClassIndex] = 1f;
        }
        return labels;
    }

    /// <summary>
    /// The detection ground truth: per visible object (drawing order), the tight box of its visible pixels
    /// (<see cref="SceneObject.Box"/>, corners in pixel-edge coordinates) and its class; fully hidden objects are left out.
    /// </summary>
    public IReadOnlyList<ReferenceBox> TrueBoxes() => Objects.Where(o => o.Box.W > 0 && o.Box.H > 0)
        .Select(o => new ReferenceBox(new BoundingBox(o.Box.X, o.Box.Y, o.Box.X + o.Box.W, o.Box.Y + o.Box.H), o.ClassIndex)).ToArray();

    /// <summary>The classes present, ascending, each once.</summary>
    public IReadOnlyList<int> ClassIndices => Objects.Select(o => o.ClassIndex).Distinct().Order().ToArray();

    /// <summary>The visible pixels of all objects of one class (Size * Size flags, row-major); all false when absent.</summary>
    /// <param name="classIndex">Index into <see cref="SceneShapes.Classes"/>.</param>
    /// <returns>A new array.</returns>
    public bool[] UnionMask(int classIndex)
    {
        var mask = new bool[Size * Size];
        foreach (var o in Objects)
        {
            if (o.ClassIndex != classIndex)
                continue;
            for (int i = 0; i < mask.Length; i++)
                mask[i] |= o.Mask[i];
        }
        return mask;
    }

    /// <summary>Per pixel: 0 for background, k + 1 where object k (drawing order) is visible.</summary>
    /// <returns>A new array of Size * Size bytes, row-major.</returns>
    public byte[] ObjectIndexMask()
    {
        if (Objects.Count > 255)
            throw new InvalidOperationException($"A scene with {Objects.Count} objects does not fit an 8-bit index mask.");
        var mask = new byte[Size * Size];
        for (int k = 0; k < Objects.Count; k++)
        {
            bool[] m = Objects[k].Mask;
            for (int i = 0; i < mask.Length; i++)
            {
                if (m[i])
                    mask[i] = (byte)(k + 1);
            }
        }
        return mask;
    }

    /// <summary>The scene as an ImageSharp image.</summary>
    /// <returns>A new Size x Size image; the caller owns and disposes it.</returns>
    public Image<Rgb24> ToImage() => Image.LoadPixelData<Rgb24>(Rgb, Size, Size);

    /// <summary>
    /// The scene as a model input, float32 <c>[1, 3, Size, Size]</c>, normalised exactly as
    /// <see cref="ImageLoader.ToTensor"/> normalises an image (pixel / 255, then (x - mean) / std per channel).
    /// </summary>
    /// <param name="preprocessing">Supplies mean and std; <c>null</c> means ImageNet's. Resize and crop are not applied.</param>
    /// <param name="device">Device for the result; <c>null</c> means the CPU.</param>
    /// <returns>A new tensor the caller owns.</returns>
    public Tensor ToTensor(ImagePreprocessing? preprocessing = null, Device? device = null)
    {
        using var image = ToImage();
        return ImageLoader.ToTensor(image, preprocessing, device);
    }
}
