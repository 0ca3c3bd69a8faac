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
        var mask = new bool[image.Width * image.Height];
        image.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < rows.Height; y++)
            {
                var row = rows.GetRowSpan(y);
                for (int x = 0; x < row.Length; x++) mask[y * rows.Width + x] = row[x].R != 0 || row[x].G != 0 || row[x].B != 0;
            }
        });
        return (mask, image.Width, image.Height);
    }
}
