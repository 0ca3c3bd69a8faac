using DecomCamNet.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DecomCamNet.Evaluation.Runs;

/// <summary>A ground-truth mask image: any pixel with a non-zero channel belongs to the object.</summary>
public static class MaskImage
{
    /// <summary>The mask in <paramref name="path"/>, row-major, with its size.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static (bool[] Mask, int Width, int Height) Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Mask file '{path}' does not exist.", path);
        using var image = Image.Load<Rgb24>(path);
        return (Threshold(image, 1), image.Width, image.Height);
    }

    /// <summary>
    /// The mask in <paramref name="path"/> resized and cropped as <paramref name="preprocessing"/> does its image, so
    /// that it stays aligned with the model's input: the object drawn white on black, resampled, and kept where at
    /// least half white (a mask of the image's own size is read as it is).
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static (bool[] Mask, int Width, int Height) Read(string path, ImagePreprocessing preprocessing)
    {
        var (mask, width, height) = Read(path);
        if (preprocessing.Resize is null && preprocessing.CenterCrop is null) return (mask, width, height);
        using var drawn = new Image<Rgb24>(width, height);
        drawn.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < rows.Height; y++)
            {
                var row = rows.GetRowSpan(y);
                for (int x = 0; x < row.Length; x++) row[x] = mask[y * width + x] ? new Rgb24(255, 255, 255) : default;
            }
        });
        using var resized = ImageLoader.Preprocess(drawn, preprocessing);
        return (Threshold(resized, 128), resized.Width, resized.Height);
    }

    private static bool[] Threshold(Image<Rgb24> image, byte least)
    {
        var mask = new bool[image.Width * image.Height];
        image.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < rows.Height; y++)
            {
                var row = rows.GetRowSpan(y);
                for (int x = 0; x < row.Length; x++) mask[y * rows.Width + x] = row[x].R >= least || row[x].G >= least || row[x].B >= least;
            }
        });
        return mask;
    }
}
