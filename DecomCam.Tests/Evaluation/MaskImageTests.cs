using DecomCamNet.Evaluation.Runs;
using DecomCamNet.Imaging;
using DecomCamNet.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DecomCamNet.Tests.Evaluation;

/// <summary>A mask meets the preprocessing of its image, so that it stays aligned with the model's input.</summary>
public sealed class MaskImageTests : CliRun
{
    [Fact]
    public void AMaskIsResizedAndCroppedLikeItsImage()
    {
        using (var image = new Image<L8>(8, 4))
        {
            for (int y = 0; y < 4; y++)
                for (int x = 0; x < 4; x++) image[x, y] = new L8(1); // left half, any non-zero value
            image.SaveAsPng(P("mask.png"));
        }
        var (asIs, w0, h0) = MaskImage.Read(P("mask.png"), ImagePreprocessing.None);
        Assert.Equal((8, 4, 16), (w0, h0, asIs.Count(b => b)));
        var (resized, w, h) = MaskImage.Read(P("mask.png"), new ImagePreprocessing { Resize = 8, CenterCrop = 8 });
        Assert.Equal((8, 8), (w, h)); // 16x8, then the centre 8x8: columns 4..11 of the resized mask, half of them object
        for (int y = 0; y < 8; y++)
            Assert.Equal("11110000", string.Concat(Enumerable.Range(0, 8).Select(x => resized[y * 8 + x] ? '1' : '0')));
    }
}
