using System.Globalization;
using DecomCamNet.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DecomCamNet.ExplainService;

/// <summary>
/// Decodes a request body into the picture a model sees (resized and cropped per its preprocessing), on the request
/// thread, before anything reaches a worker: the size is checked from the header before the pixels are decoded.
/// </summary>
public static class RequestImage
{
    /// <summary>The decoded, resized and cropped image; the caller owns it.</summary>
    /// <exception cref="BadRequestException">The body is empty, not an image ImageSharp decodes, corrupt, or too large.</exception>
    public static Image<Rgb24> Decode(byte[] body, ImagePreprocessing preprocessing)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(preprocessing);
        if (body.Length == 0) throw new BadRequestException("The request body is empty: send the image's bytes (PNG, JPEG, ...) as the body.");
        IImageInfo? info;
        try
        {
            info = Image.Identify(body);
        }
        catch (Exception e) when (IsDecodeFailure(e))
        {
            throw new BadRequestException($"The body is not a readable image: its header cannot be read ({e.Message}).");
        }
        if (info is null) throw new BadRequestException("The body is not an image in a supported format (PNG, JPEG, BMP, GIF, TGA, TIFF, WebP, PBM).");
        long pixels = (long)info.Width * info.Height;
        if (info.Width <= 0 || info.Height <= 0 || pixels > preprocessing.MaxPixels)
            throw new BadRequestException(string.Create(CultureInfo.InvariantCulture,
                $"The image is {info.Width}x{info.Height} pixels; the service takes images of 1 to {preprocessing.MaxPixels} pixels."));
        Image<Rgb24> decoded;
        try
        {
            decoded = Image.Load<Rgb24>(body);
        }
        catch (Exception e) when (IsDecodeFailure(e))
        {
            throw new BadRequestException($"The image cannot be decoded ({e.Message}).");
        }
        using (decoded)
            return ImageLoader.Preprocess(decoded, preprocessing);
    }

    private static bool IsDecodeFailure(Exception e) =>
        e is ImageFormatException or NotSupportedException or EndOfStreamException or IndexOutOfRangeException or ArgumentException
            or InvalidOperationException or OverflowException or SixLabors.ImageSharp.Memory.InvalidMemoryOperationException;
}
