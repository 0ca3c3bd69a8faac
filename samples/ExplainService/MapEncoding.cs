using DecomCamNet.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace DecomCamNet.ExplainService;

/// <summary>A map as the bytes a response carries: an overlay PNG or float32 <c>.npy</c>.</summary>
public static class MapEncoding
{
    /// <summary>zlib level 1, as the library's overlay files: a third faster to encode for about 1% more bytes.</summary>
    private static readonly PngEncoder FastPng = new() { CompressionLevel = PngCompressionLevel.BestSpeed };

    /// <summary>The map [H,W] blended over <paramref name="picture"/> with the jet colour map, as PNG bytes.</summary>
    public static byte[] OverlayPng(Image<Rgb24> picture, Tensor map)
    {
        using var overlay = CamImageWriter.CreateOverlay(picture, map);
        using var bytes = new MemoryStream();
        overlay.SaveAsPng(bytes, FastPng);
        return bytes.ToArray();
    }

    /// <summary>The map [H,W] as float32 <c>.npy</c> bytes.</summary>
    public static byte[] Npy(Tensor map)
    {
        using var bytes = new MemoryStream();
        NpyFile.Write(bytes, map);
        return bytes.ToArray();
    }
}
