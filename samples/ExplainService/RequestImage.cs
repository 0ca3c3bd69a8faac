using DecomCamNet.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DecomCamNet.ExplainService;

/// <summary>
/// Decodes a request body into the picture a model sees (resized and cropped per its preprocessing), on the request
/// thread, before anything reaches a worker, with the library's own decoder (<see cref="ImageLoader.LoadRgb(byte[], string, ImagePreprocessing?)"/>:
/// size checked from the header before the pixels are decoded, truncated and corrupt files refused).
/// </summary>
public static class RequestImage
{
    /// <summary>The decoded, resized and cropped image; the caller owns it.</summary>
    /// <exception cref="BadRequestException">The body is empty, not an image, corrupt, or too large.</exception>
    public static Image<Rgb24> Decode(byte[] body, ImagePreprocessing preprocessing)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(preprocessing);
        if (body.Length == 0) throw new BadRequestException("The request body is empty: send the image's bytes (PNG, JPEG, ...) as the body.");
        try
        {
            return ImageLoader.LoadRgb(body, "the request body", preprocessing);
        }
        catch (InvalidDataException e)
        {
            throw new BadRequestException(e.Message);
        }
    }
}
