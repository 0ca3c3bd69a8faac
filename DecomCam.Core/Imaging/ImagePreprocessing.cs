using System.Collections.ObjectModel;

namespace DecomCamNet.Imaging;

/// <summary>
/// How an image file becomes a model input: optional torchvision-style <c>Resize(n)</c> of the shorter side, optional
/// <c>CenterCrop(n)</c>, then <c>ToTensor</c> (pixel / 255, or pixel / 255 x <see cref="PixelScale"/>) and <c>Normalize(mean, std)</c>.
/// </summary>
/// <remarks>
/// The sizes follow torchvision 0.14 exactly: the shorter side becomes <see cref="Resize"/> and the longer side
/// <c>floor(Resize * long / short)</c>; an image whose size already matches is not resampled; the centre crop starts at
/// <c>round((size - crop) / 2)</c> with round-half-to-even, and a crop larger than the image pads with black first.
/// Resampling uses ImageSharp's triangle (bilinear, antialiased when shrinking) filter, which approximates PIL's bilinear,
/// or its bicubic filter (<see cref="ResizeFilter.Bicubic"/>, as CLIP's preprocessing asks).
/// </remarks>
public sealed record ImagePreprocessing
{
    /// <summary>The default for <see cref="MaxPixels"/>: 64 megapixels (64,000,000 pixels).</summary>
    public const long DefaultMaxPixels = 64_000_000;

    private static readonly ReadOnlyCollection<float> ImageNetMeanValues = Array.AsReadOnly(new[] { 0.485f, 0.456f, 0.406f });
    private static readonly ReadOnlyCollection<float> ImageNetStdValues = Array.AsReadOnly(new[] { 0.229f, 0.224f, 0.225f });

    private readonly int? _resize;
    private readonly int? _centerCrop;
    private readonly ReadOnlyCollection<float> _mean = ImageNetMeanValues;
    private readonly ReadOnlyCollection<float> _std = ImageNetStdValues;
    private readonly long _maxPixels = DefaultMaxPixels;
    private readonly float _pixelScale = 1;

    /// <summary>The ImageNet channel means (R, G, B): 0.485, 0.456, 0.406.</summary>
    public static IReadOnlyList<float> ImageNetMean => ImageNetMeanValues;

    /// <summary>The ImageNet channel standard deviations (R, G, B): 0.229, 0.224, 0.225.</summary>
    public static IReadOnlyList<float> ImageNetStd => ImageNetStdValues;

    /// <summary>The usual ImageNet evaluation pipeline: <c>Resize(256)</c>, <c>CenterCrop(224)</c>, ImageNet normalisation.</summary>
    public static ImagePreprocessing ImageNet { get; } = new() { Resize = 256, CenterCrop = 224 };

    /// <summary>No resize and no crop; ImageNet normalisation only. The image keeps its own size.</summary>
    public static ImagePreprocessing None { get; } = new();

    /// <summary>The same as <see cref="None"/>: the image as it is, with ImageNet normalisation.</summary>
    public static ImagePreprocessing AsIs => None;

    /// <summary>
    /// Target length of the shorter side (torchvision <c>Resize(int)</c>), or <c>null</c> for no resize. Must be positive.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero or negative.</exception>
    public int? Resize
    {
        get => _resize;
        init => _resize = value is null or > 0
            ? value
            : throw new ArgumentOutOfRangeException(nameof(Resize), value, "Resize must be a positive number of pixels (or null for none).");
    }

    /// <summary>Side of the square centre crop, applied after <see cref="Resize"/>, or <c>null</c> for none. Must be positive.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero or negative.</exception>
    public int? CenterCrop
    {
        get => _centerCrop;
        init => _centerCrop = value is null or > 0
            ? value
            : throw new ArgumentOutOfRangeException(nameof(CenterCrop), value, "CenterCrop must be a positive number of pixels (or null for none).");
    }

    /// <summary>The resampling filter of <see cref="Resize"/>: bilinear (default, torchvision's) or bicubic (CLIP's).</summary>
    public ResizeFilter Filter { get; init; } = ResizeFilter.Bilinear;

    /// <summary>Per-channel means (R, G, B) subtracted after scaling pixels to [0, 1]. Three finite values; copied on assignment.</summary>
    /// <exception cref="ArgumentException">Not exactly three finite values.</exception>
    public IReadOnlyList<float> Mean
    {
        get => _mean;
        init => _mean = CheckChannels(value, nameof(Mean), positive: false);
    }

    /// <summary>Per-channel standard deviations (R, G, B) divided by. Three finite positive values; copied on assignment.</summary>
    /// <exception cref="ArgumentException">Not exactly three finite positive values.</exception>
    public IReadOnlyList<float> Std
    {
        get => _std;
        init => _std = CheckChannels(value, nameof(Std), positive: true);
    }

    /// <summary>
    /// The value of a full-intensity pixel before <see cref="Mean"/> and <see cref="Std"/> apply: 1 (default,
    /// torchvision's <c>ToTensor</c>: pixels in [0, 1]) or 255 for Caffe-style models that take raw 0..255 values (such
    /// as ML.NET's ONNX featurizers); Mean and Std are in the same units.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not finite and positive.</exception>
    public float PixelScale
    {
        get => _pixelScale;
        init => _pixelScale = float.IsFinite(value) && value > 0
            ? value
            : throw new ArgumentOutOfRangeException(nameof(PixelScale), value, "PixelScale must be finite and positive (1 for [0, 1] pixels, 255 for 0..255).");
    }

    /// <summary>
    /// Largest accepted image, in pixels (width x height) as stored in the file, checked from the header before decoding.
    /// Default <see cref="DefaultMaxPixels"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero or negative.</exception>
    public long MaxPixels
    {
        get => _maxPixels;
        init => _maxPixels = value > 0
            ? value
            : throw new ArgumentOutOfRangeException(nameof(MaxPixels), value, "MaxPixels must be positive.");
    }

    /// <summary>
    /// The size torchvision's <c>Resize(shorterSide)</c> gives an image of <paramref name="width"/> x <paramref name="height"/>:
    /// the shorter side becomes <paramref name="shorterSide"/>, the longer <c>floor(shorterSide * long / short)</c>.
    /// </summary>
    /// <param name="width">Image width in pixels (positive).</param>
    /// <param name="height">Image height in pixels (positive).</param>
    /// <param name="shorterSide">Target length of the shorter side (positive).</param>
    /// <returns>The new width and height.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An argument is not positive, or the longer side would overflow.</exception>
    public static (int Width, int Height) ResizedSize(int width, int height, int shorterSide)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(shorterSide);
        bool wide = width > height; // torchvision: (short, long) = (w, h) if w <= h else (h, w)
        int shortSide = wide ? height : width;
        int longSide = wide ? width : height;
        // Python: int(size * long / short): an exact integer product, then a true (double) division, then truncation.
        double longD = (double)((long)shorterSide * longSide) / shortSide;
        if (longD >= int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(shorterSide), shorterSide, $"Resizing {width}x{height} so that its shorter side is {shorterSide} gives a longer side that is too large.");
        int newLong = (int)longD;
        return wide ? (newLong, shorterSide) : (shorterSide, newLong);
    }

    /// <summary>The size of the model input that an image of the given size produces under these options.</summary>
    /// <param name="width">Image width in pixels.</param>
    /// <param name="height">Image height in pixels.</param>
    /// <returns>The width and height after <see cref="Resize"/> and <see cref="CenterCrop"/>.</returns>
    public (int Width, int Height) OutputSize(int width, int height)
    {
        var size = Resize is int r ? ResizedSize(width, height, r) : (width, height);
        return CenterCrop is int c ? (c, c) : size;
    }

    /// <inheritdoc />
    public bool Equals(ImagePreprocessing? other) =>
        other is not null
        && _resize == other._resize
        && _centerCrop == other._centerCrop
        && Filter == other.Filter
        && _maxPixels == other._maxPixels
        && _pixelScale == other._pixelScale
        && _mean.SequenceEqual(other._mean)
        && _std.SequenceEqual(other._std);

    /// <inheritdoc />
    public override int GetHashCode() =>
        HashCode.Combine(_resize, _centerCrop, _maxPixels, _mean[0], _mean[1], _mean[2], _std[0], HashCode.Combine(_std[1], _std[2], Filter, _pixelScale));

    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append("Resize = ").Append(_resize?.ToString() ?? "null")
            .Append(", CenterCrop = ").Append(_centerCrop?.ToString() ?? "null")
            .Append(", Filter = ").Append(Filter)
            .Append(", Mean = [").Append(string.Join(", ", _mean.Select(v => v.ToString(System.Globalization.CultureInfo.InvariantCulture))))
            .Append("], Std = [").Append(string.Join(", ", _std.Select(v => v.ToString(System.Globalization.CultureInfo.InvariantCulture))))
            .Append("], PixelScale = ").Append(_pixelScale.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Append(", MaxPixels = ").Append(_maxPixels);
        return true;
    }

    private static ReadOnlyCollection<float> CheckChannels(IReadOnlyList<float>? value, string name, bool positive)
    {
        if (value is null || value.Count != 3)
            throw new ArgumentException($"{name} needs exactly 3 values (R, G, B), got {value?.Count.ToString() ?? "null"}.", name);
        var copy = value.ToArray();
        foreach (float v in copy)
        {
            if (!float.IsFinite(v) || (positive && v <= 0))
                throw new ArgumentException($"{name} values must be finite{(positive ? " and positive" : "")}; got {string.Join(", ", copy)}.", name);
        }
        return Array.AsReadOnly(copy);
    }
}

/// <summary>The resampling filter an <see cref="ImagePreprocessing.Resize"/> uses.</summary>
public enum ResizeFilter
{
    /// <summary>Bilinear (ImageSharp's triangle filter, antialiased when shrinking), as torchvision's default.</summary>
    Bilinear,

    /// <summary>Bicubic (ImageSharp's bicubic filter), as CLIP's preprocessing.</summary>
    Bicubic,
}
