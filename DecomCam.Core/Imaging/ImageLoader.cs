using System.Globalization;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using SixLabors.ImageSharp.Processing.Processors.Transforms;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet.Imaging;

/// <summary>
/// Reads image files (PNG, JPEG, and the other formats ImageSharp decodes) into normalised model inputs, and into the
/// resized / cropped RGB images that overlays are drawn on, so an overlay covers exactly the pixels the model saw.
/// </summary>
/// <remarks>
/// Before decoding, the header is read to reject images larger than <see cref="ImagePreprocessing.MaxPixels"/>, and PNG
/// and JPEG files are checked for truncation (which decoders otherwise tend to forgive). Every failure is a managed
/// exception that names the file: <see cref="FileNotFoundException"/> for a missing file, <see cref="InvalidDataException"/>
/// for a file that is not an image, is corrupt, is truncated or is too large.
/// <para>
/// Parity with torchvision's PIL pipeline (measured with PIL 9.4): PNG decoding is identical and resizing differs by at
/// most one 8-bit level per value. JPEG decoding differs from libjpeg, which upsamples subsampled chroma with a smoothing
/// filter: a few levels on smooth photographs, much more on pixel-level colour noise. Use PNG inputs where exact parity
/// with a Python reference matters.
/// </para>
/// </remarks>
public static class ImageLoader
{
    /// <summary>
    /// Loads an image file as a float32 tensor of shape <c>[1, 3, H, W]</c>: resized and cropped per
    /// <paramref name="options"/>, scaled to [0, 1] (pixel / 255), then normalised per channel as <c>(x - mean) / std</c>.
    /// </summary>
    /// <param name="path">The image file.</param>
    /// <param name="options">Preprocessing; <c>null</c> means <see cref="ImagePreprocessing.ImageNet"/> (resize 256, crop 224).</param>
    /// <param name="device">Device for the result; <c>null</c> means the CPU.</param>
    /// <returns>A new tensor the caller owns.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a decodable image, is truncated or corrupt, or is larger than <see cref="ImagePreprocessing.MaxPixels"/>.</exception>
    public static Tensor Load(string path, ImagePreprocessing? options = null, Device? device = null)
    {
        options ??= ImagePreprocessing.ImageNet;
        using var image = LoadRgb(path, options);
        return ToTensor(image, options, device);
    }

    /// <summary>
    /// Loads an image file as the RGB image the model input is made from: decoded, then resized and cropped per
    /// <paramref name="options"/> (no normalisation). Use it as the background of overlays.
    /// </summary>
    /// <param name="path">The image file.</param>
    /// <param name="options">Preprocessing; <c>null</c> means <see cref="ImagePreprocessing.ImageNet"/>.</param>
    /// <returns>A new image the caller owns (dispose it).</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a decodable image, is truncated or corrupt, or is too large.</exception>
    public static Image<Rgb24> LoadRgb(string path, ImagePreprocessing? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
        {
            string why = Directory.Exists(path) ? " (the path is a directory)" : "";
            throw new FileNotFoundException($"Image file '{path}' was not found{why}.", path);
        }
        return LoadRgb(File.ReadAllBytes(path), path, options);
    }

    /// <summary>
    /// As <see cref="LoadRgb(string, ImagePreprocessing?)"/>, from the bytes of an image file already read (for example to
    /// hash them as well), so the file is read once.
    /// </summary>
    /// <param name="bytes">The file's bytes.</param>
    /// <param name="name">The file's name or path, for error messages.</param>
    /// <param name="options">Preprocessing; <c>null</c> means <see cref="ImagePreprocessing.ImageNet"/>.</param>
    /// <returns>A new image the caller owns (dispose it).</returns>
    /// <exception cref="InvalidDataException">The bytes are not a decodable image, are truncated or corrupt, or are too large.</exception>
    public static Image<Rgb24> LoadRgb(byte[] bytes, string name, ImagePreprocessing? options = null)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        options ??= ImagePreprocessing.ImageNet;
        var image = Decode(bytes, name, options.MaxPixels);
        try
        {
            var (width, height) = ResizeTarget(image, options);
            if (width != image.Width || height != image.Height)
                image.Mutate(c => c.Resize(width, height, Resampler(options)));
            return CropOwned(image, options);
        }
        catch
        {
            image.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Loads an image file once and returns both the model input (as <see cref="Load"/>) and the RGB image it was made
    /// from (as <see cref="LoadRgb(string, ImagePreprocessing?)"/>).
    /// </summary>
    /// <param name="path">The image file.</param>
    /// <param name="options">Preprocessing; <c>null</c> means <see cref="ImagePreprocessing.ImageNet"/>.</param>
    /// <param name="device">Device for the tensor; <c>null</c> means the CPU.</param>
    /// <returns>The <c>[1, 3, H, W]</c> input tensor and the <c>W x H</c> image; the caller owns and disposes both.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a decodable image, is truncated or corrupt, or is too large.</exception>
    public static (Tensor Input, Image<Rgb24> Image) LoadWithImage(string path, ImagePreprocessing? options = null, Device? device = null)
    {
        options ??= ImagePreprocessing.ImageNet;
        var image = LoadRgb(path, options);
        try
        {
            return (ToTensor(image, options, device), image);
        }
        catch
        {
            image.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Applies the resize and centre crop of <paramref name="options"/> to an image (torchvision semantics, see
    /// <see cref="ImagePreprocessing"/>). The input is not changed.
    /// </summary>
    /// <param name="image">The source image.</param>
    /// <param name="options">Preprocessing; <c>null</c> means <see cref="ImagePreprocessing.ImageNet"/>. Mean and Std are not used here.</param>
    /// <returns>A new image (a copy even when nothing changes); the caller owns it.</returns>
    public static Image<Rgb24> Preprocess(Image<Rgb24> image, ImagePreprocessing? options = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        options ??= ImagePreprocessing.ImageNet;
        var (width, height) = ResizeTarget(image, options);
        // torchvision returns the image untouched when the size already matches.
        Image<Rgb24> owned = width == image.Width && height == image.Height
            ? image.Clone()
            : image.Clone(c => c.Resize(width, height, Resampler(options)));
        return CropOwned(owned, options);
    }

    /// <summary>
    /// Converts an RGB image into a float32 <c>[1, 3, H, W]</c> tensor: <c>(pixel / 255 - mean) / std</c> per channel,
    /// computed in single precision in the same order as torchvision's <c>ToTensor</c> + <c>Normalize</c>, with the
    /// pixel divided by 255 / <see cref="ImagePreprocessing.PixelScale"/> instead (exactly the pixel value for 255). No resizing.
    /// </summary>
    /// <param name="image">The image, already resized / cropped as wanted.</param>
    /// <param name="options">Supplies <see cref="ImagePreprocessing.Mean"/> and <see cref="ImagePreprocessing.Std"/>; <c>null</c> means ImageNet values. Resize and crop are ignored.</param>
    /// <param name="device">Device for the result; <c>null</c> means the CPU.</param>
    /// <returns>A new tensor the caller owns.</returns>
    public static Tensor ToTensor(Image<Rgb24> image, ImagePreprocessing? options = null, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        options ??= ImagePreprocessing.ImageNet;
        int width = image.Width, height = image.Height;
        int plane = checked(width * height);
        var data = new float[checked(3 * plane)];
        float m0 = options.Mean[0], m1 = options.Mean[1], m2 = options.Mean[2];
        float s0 = options.Std[0], s1 = options.Std[1], s2 = options.Std[2];
        float divisor = 255f / options.PixelScale;
        image.ProcessPixelRows(accessor =>
        {
            for (int y = 0; y < accessor.Height; y++)
            {
                Span<Rgb24> row = accessor.GetRowSpan(y);
                int offset = y * width;
                for (int x = 0; x < row.Length; x++)
                {
                    Rgb24 p = row[x];
                    data[offset + x] = (p.R / divisor - m0) / s0;
                    data[plane + offset + x] = (p.G / divisor - m1) / s1;
                    data[2 * plane + offset + x] = (p.B / divisor - m2) / s2;
                }
            }
        });
        var shape = new long[] { 1, 3, height, width };
        if (device is null || device.type == DeviceType.CPU)
            return torch.tensor(data, shape);
        using var cpu = torch.tensor(data, shape);
        return cpu.to(device);
    }

    private static IResampler Resampler(ImagePreprocessing options) =>
        options.Filter == ResizeFilter.Bicubic ? KnownResamplers.Bicubic : KnownResamplers.Triangle;

    private static (int Width, int Height) ResizeTarget(Image<Rgb24> image, ImagePreprocessing options) =>
        options.Resize is int shorter ? ImagePreprocessing.ResizedSize(image.Width, image.Height, shorter) : (image.Width, image.Height);

    // Applies the centre crop to an image this class owns: in place, or into a new image (disposing the old one).
    private static Image<Rgb24> CropOwned(Image<Rgb24> owned, ImagePreprocessing options)
    {
        if (options.CenterCrop is not int crop || (crop == owned.Width && crop == owned.Height))
            return owned;
        try
        {
            var (offX, offY) = CropOffsets(owned.Width, owned.Height, crop, crop);
            if (offX >= 0 && offY >= 0)
            {
                owned.Mutate(c => c.Crop(new Rectangle(offX, offY, crop, crop)));
                return owned;
            }
            var padded = PadAndCrop(owned, crop, crop, offX, offY);
            owned.Dispose();
            return padded;
        }
        catch
        {
            owned.Dispose();
            throw;
        }
    }

    // torchvision center_crop: pad with black where the crop is larger than the image ((d // 2) before, ((d + 1) // 2) after),
    // then crop at round((size - crop) / 2) with round-half-to-even.
    // The result's pixel (x, y) is the source's (x + offX, y + offY).
    private static (int OffX, int OffY) CropOffsets(int width, int height, int cropWidth, int cropHeight) =>
        (cropWidth > width ? -((cropWidth - width) / 2) : (int)Math.Round((width - cropWidth) / 2.0, MidpointRounding.ToEven),
         cropHeight > height ? -((cropHeight - height) / 2) : (int)Math.Round((height - cropHeight) / 2.0, MidpointRounding.ToEven));

    private static Image<Rgb24> PadAndCrop(Image<Rgb24> source, int cropWidth, int cropHeight, int offX, int offY)
    {
        var result = new Image<Rgb24>(cropWidth, cropHeight); // black
        source.ProcessPixelRows(result, (src, dst) =>
        {
            for (int y = 0; y < dst.Height; y++)
            {
                int sy = y + offY;
                if (sy < 0 || sy >= src.Height)
                    continue;
                Span<Rgb24> srcRow = src.GetRowSpan(sy);
                Span<Rgb24> dstRow = dst.GetRowSpan(y);
                int dx0 = Math.Max(0, -offX);
                int dx1 = Math.Min(dst.Width, src.Width - offX);
                if (dx1 > dx0)
                    srcRow.Slice(dx0 + offX, dx1 - dx0).CopyTo(dstRow.Slice(dx0));
            }
        });
        return result;
    }

    private static Image<Rgb24> Decode(byte[] bytes, string path, long maxPixels)
    {
        IImageInfo? info;
        try
        {
            info = Image.Identify(bytes);
        }
        catch (Exception ex) when (IsDecodeFailure(ex))
        {
            // A file cut inside its header fails here: say so when the structure shows it.
            throw Invalid(path, FindStructuralProblem(bytes) ?? $"its header cannot be read ({ex.Message})", ex);
        }
        if (info is null)
        {
            var unknown = new UnknownImageFormatException("No ImageSharp decoder recognises the file's header.");
            throw Invalid(path, "it is not an image in a supported format (PNG, JPEG, BMP, GIF, TGA, TIFF, WebP, PBM)", unknown);
        }

        long pixels = (long)info.Width * info.Height;
        if (info.Width <= 0 || info.Height <= 0)
            throw Invalid(path, $"its header gives an invalid size {info.Width}x{info.Height}", null);
        if (pixels > maxPixels)
        {
            throw Invalid(path, string.Create(CultureInfo.InvariantCulture,
                $"it is {info.Width}x{info.Height} pixels ({pixels / 1e6:0.#} megapixels), above the limit of {maxPixels} pixels ({maxPixels / 1e6:0.#} megapixels, ImagePreprocessing.MaxPixels)"), null);
        }

        string? problem = FindStructuralProblem(bytes);
        if (problem is not null)
            throw Invalid(path, problem, null);

        try
        {
            return Image.Load<Rgb24>(bytes);
        }
        catch (Exception ex) when (IsDecodeFailure(ex))
        {
            throw Invalid(path, $"it cannot be decoded ({ex.Message})", ex);
        }
    }

    private static string? FindStructuralProblem(byte[] bytes)
    {
        return ImageFileStructure.IsPng(bytes) ? ImageFileStructure.FindPngProblem(bytes)
            : ImageFileStructure.IsJpeg(bytes) ? ImageFileStructure.FindJpegProblem(bytes)
            : null;
    }

    private static bool IsDecodeFailure(Exception ex) =>
        ex is ImageFormatException or InvalidMemoryOperationException or NotSupportedException or EndOfStreamException
            or IndexOutOfRangeException or ArgumentException or InvalidOperationException or OverflowException;

    private static InvalidDataException Invalid(string path, string problem, Exception? inner) =>
        new($"Cannot load image '{path}': {problem}.", inner);
}
