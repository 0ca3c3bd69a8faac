using DecomCamNet.Cam;
using DecomCamNet.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace DecomCamNet.Cli;

/// <summary>Loads the CLI's input (an image or a .npy batch) and the pictures that overlays are drawn on.</summary>
internal static class InputImages
{
    /// <summary>The input at <paramref name="path"/>; a file that is missing or cannot be read is a usage error (<see cref="CliException"/>).</summary>
    public static (Tensor Input, IReadOnlyList<Image<Rgb24>> Pictures) Load(string path, ImagePreprocessing preprocessing, Device device)
    {
        try { return Read(path, preprocessing, device); }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException) { throw new CliException(e.Message); }
    }

    private static (Tensor Input, IReadOnlyList<Image<Rgb24>> Pictures) Read(string path, ImagePreprocessing preprocessing, Device device)
    {
        if (path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
        {
            var x = NpyFile.Read(path, device);
            if (x.dim() == 3) x = x.unsqueeze(0);
            if (x.dim() != 4) throw new CliException($"'{path}' holds a tensor of shape [{string.Join(",", x.shape)}]; expected [N,C,H,W] or [C,H,W].");
            return (x, Enumerable.Range(0, (int)x.shape[0]).Select(i => Denormalise(x[i], preprocessing)).ToList());
        }
        var (input, image) = ImageLoader.LoadWithImage(path, preprocessing, device);
        return (input, new[] { image });
    }

    /// <summary>Undoes the mean/std normalisation of one [C,H,W] image for display (grey for C != 3).</summary>
    private static Image<Rgb24> Denormalise(Tensor image, ImagePreprocessing preprocessing)
    {
        using var scope = NewDisposeScope();
        long h = image.shape[1], w = image.shape[2];
        Tensor rgb;
        if (image.shape[0] == 3)
        {
            var mean = tensor(preprocessing.Mean.ToArray()).reshape(3, 1, 1);
            var std = tensor(preprocessing.Std.ToArray()).reshape(3, 1, 1);
            rgb = image.cpu().to_type(ScalarType.Float32) * std + mean;
        }
        else
        {
            var grey = image.cpu().to_type(ScalarType.Float32).mean(new long[] { 0 }, keepdim: true);
            rgb = CamKernels.NormalizePerImage(grey.unsqueeze(0))[0].expand(3, h, w);
        }
        var bytes = (rgb.clamp(0, 1) * 255).round().to_type(ScalarType.Byte).permute(1, 2, 0).contiguous().data<byte>().ToArray();
        return Image.LoadPixelData<Rgb24>(bytes, (int)w, (int)h);
    }
}
