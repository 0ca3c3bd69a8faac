using DecomCamNet.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using TorchSharp;
using static DecomCamNet.Tests.Imaging.ImagingTestSupport;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Imaging;

public class ImageLoaderTests
{
    // Measured max |ours - torchvision(PIL)| of normalised values: 0.017507 on the golden PNG, i.e. one 8-bit level
    // divided by the smallest std (1 / 255 / 0.224). PNG decoding is identical; the triangle resampler differs from PIL's
    // bilinear filter by at most one level on some pixels.
    private const float PngParityBound = 0.0176f;

    // JPEG: ImageSharp's decoder differs from libjpeg (PIL) by a few levels on smooth 4:2:0 images (libjpeg's "fancy"
    // chroma upsampling); measured 0.052288 (three levels) on the golden JPEG.
    private const float JpegParityBound = 0.0526f;

    [Fact]
    public void NormalisesAKnown2x2ImageExactly()
    {
        using var dir = new TempDir();
        var pixels = new[,]
        {
            { new Rgb24(0, 0, 0), new Rgb24(255, 255, 255) },
            { new Rgb24(10, 128, 200), new Rgb24(1, 2, 254) },
        };
        using (var img = MakeImage(2, 2, (x, y) => pixels[y, x]))
            img.SaveAsPng(dir.File("a.png"));

        using var t = ImageLoader.Load(dir.File("a.png"), ImagePreprocessing.None);
        Assert.Equal(new long[] { 1, 3, 2, 2 }, t.shape);
        Assert.Equal(ScalarType.Float32, t.dtype);
        float[] mean = { 0.485f, 0.456f, 0.406f }, std = { 0.229f, 0.224f, 0.225f };
        for (int y = 0; y < 2; y++)
            for (int x = 0; x < 2; x++)
            {
                byte[] rgb = { pixels[y, x].R, pixels[y, x].G, pixels[y, x].B };
                for (int c = 0; c < 3; c++)
                    Assert.Equal((rgb[c] / 255f - mean[c]) / std[c], t[0, c, y, x].item<float>());
            }
        Assert.Equal(-2.117904f, t[0, 0, 0, 0].item<float>(), 5);
        Assert.Equal(2.6399999f, t[0, 2, 0, 1].item<float>(), 5);

        // The same values from torch ops, in torchvision's order: x / 255, then (x - mean) / std.
        using var raw = torch.tensor(new float[] { 0, 255, 10, 1, 0, 255, 128, 2, 0, 255, 200, 254 }, new long[] { 1, 3, 2, 2 });
        using var expected = (raw / 255f - torch.tensor(mean).reshape(1, 3, 1, 1)) / torch.tensor(std).reshape(1, 3, 1, 1);
        Assert.Equal(0f, (t - expected).abs().max().item<float>());
    }

    [Fact]
    public void CustomMeanAndStdAreUsed()
    {
        using var dir = new TempDir();
        using (var img = MakeImage(1, 1, (_, _) => new Rgb24(51, 102, 255)))
            img.SaveAsPng(dir.File("p.png"));
        var options = new ImagePreprocessing { Mean = new[] { 0f, 0f, 0f }, Std = new[] { 1f, 1f, 1f } };
        using var t = ImageLoader.Load(dir.File("p.png"), options);
        Assert.Equal(new[] { 0.2f, 0.4f, 1f }, t.flatten().data<float>().ToArray());
    }

    [Fact]
    public void ResizeAndCropGiveTorchvisionShapes()
    {
        using var dir = new TempDir();
        using (var img = MakeTexture(300, 200))
            img.SaveAsPng(dir.File("wide.png"));
        using (var img = MakeTexture(200, 300))
            img.SaveAsPng(dir.File("tall.png"));

        using (var resized = ImageLoader.LoadRgb(dir.File("wide.png"), new ImagePreprocessing { Resize = 256 }))
            Assert.Equal((384, 256), (resized.Width, resized.Height));
        using (var resized = ImageLoader.LoadRgb(dir.File("tall.png"), new ImagePreprocessing { Resize = 256 }))
            Assert.Equal((256, 384), (resized.Width, resized.Height));
        using (var t = ImageLoader.Load(dir.File("wide.png"), ImagePreprocessing.ImageNet))
            Assert.Equal(new long[] { 1, 3, 224, 224 }, t.shape);
        using (var t = ImageLoader.Load(dir.File("wide.png"))) // default: ImageNet
            Assert.Equal(new long[] { 1, 3, 224, 224 }, t.shape);
        using (var t = ImageLoader.Load(dir.File("tall.png"), ImagePreprocessing.AsIs))
            Assert.Equal(new long[] { 1, 3, 300, 200 }, t.shape);
        using (var t = ImageLoader.Load(dir.File("tall.png"), new ImagePreprocessing { CenterCrop = 150 }))
            Assert.Equal(new long[] { 1, 3, 150, 150 }, t.shape);
    }

    [Theory]
    [InlineData(301, 100, 100)] // (301 - 100) / 2 = 100.5 -> 100 (half to even)
    [InlineData(303, 100, 102)] // 101.5 -> 102
    [InlineData(300, 100, 100)]
    public void CenterCropUsesTorchvisionRounding(int width, int crop, int expectedLeft)
    {
        using var src = MakeImage(width, 120, (x, y) => new Rgb24((byte)(x % 256), (byte)(x / 256), (byte)y));
        using var cropped = ImageLoader.Preprocess(src, new ImagePreprocessing { CenterCrop = crop });
        Assert.Equal((crop, crop), (cropped.Width, cropped.Height));
        Rgb24 first = cropped[0, 0];
        Assert.Equal(expectedLeft, first.R + 256 * first.G);
        Assert.Equal(10, first.B); // (120 - 100) / 2
    }

    [Fact]
    public void CenterCropLargerThanTheImagePadsWithBlackLikeTorchvision()
    {
        using var src = MakeImage(51, 30, (x, y) => new Rgb24(200, (byte)x, (byte)y));
        using var padded = ImageLoader.Preprocess(src, new ImagePreprocessing { CenterCrop = 60 });
        Assert.Equal((60, 60), (padded.Width, padded.Height));
        // torchvision pads left (60-51)//2 = 4, right 5, top (60-30)//2 = 15, bottom 15.
        Assert.Equal(new Rgb24(0, 0, 0), padded[3, 15]);
        Assert.Equal(new Rgb24(200, 0, 0), padded[4, 15]);
        Assert.Equal(new Rgb24(200, 50, 29), padded[54, 44]);
        Assert.Equal(new Rgb24(0, 0, 0), padded[55, 44]);
        Assert.Equal(new Rgb24(0, 0, 0), padded[54, 45]);
        Assert.Equal(new Rgb24(0, 0, 0), padded[4, 14]);
    }

    [Theory]
    [InlineData("pattern.png", "pattern_resize64_crop56.npy", PngParityBound, 1)]
    [InlineData("smooth.jpg", "smooth_jpg_resize64_crop56.npy", JpegParityBound, 3)]
    public void MatchesTorchvisionPilPipelineOnGoldenFiles(string image, string golden, float bound, int maxLevels)
    {
        // Golden: torchvision 0.14 Compose([Resize(64), CenterCrop(56), ToTensor(), Normalize(ImageNet)]) on PIL 9.4,
        // see Golden/imaging/make_golden.py. The sources are 120x90, so Resize(64) gives 85x64 (a 1.41x downscale).
        var options = new ImagePreprocessing { Resize = 64, CenterCrop = 56 };
        using var ours = ImageLoader.Load(Golden(image), options);
        using var reference = NpyFile.Read(Golden(golden));
        Assert.Equal(reference.shape, ours.shape);
        float maxDiff = (ours - reference).abs().max().item<float>();
        Assert.True(maxDiff <= bound, $"max |ours - PIL| = {maxDiff} (bound {bound})");
        // In 8-bit levels (undo the division by std).
        using var levels = ((ours - reference).abs() * torch.tensor(new[] { 0.229f, 0.224f, 0.225f }).reshape(1, 3, 1, 1) * 255f).max();
        Assert.True(levels.item<float>() <= maxLevels + 0.01f, $"max level difference {levels.item<float>()}");
    }

    [Fact]
    public void LoadWithImageReturnsTheTensorAndTheImageItWasMadeFrom()
    {
        using var dir = new TempDir();
        using (var img = MakeTexture(300, 200))
            img.SaveAsPng(dir.File("a.png"));
        var (input, image) = ImageLoader.LoadWithImage(dir.File("a.png"), ImagePreprocessing.ImageNet);
        using (input)
        using (image)
        {
            using var again = ImageLoader.ToTensor(image, ImagePreprocessing.ImageNet);
            using var direct = ImageLoader.Load(dir.File("a.png"), ImagePreprocessing.ImageNet);
            Assert.Equal((224, 224), (image.Width, image.Height));
            Assert.True(input.eq(again).all().item<bool>());
            Assert.True(input.eq(direct).all().item<bool>());
        }
    }

    [Fact]
    public void LoadsJpegAndHonoursTheDevice()
    {
        using var dir = new TempDir();
        using (var img = MakeTexture(64, 48))
            img.SaveAsJpeg(dir.File("a.jpg"));
        using var t = ImageLoader.Load(dir.File("a.jpg"), ImagePreprocessing.None, torch.CPU);
        Assert.Equal(new long[] { 1, 3, 48, 64 }, t.shape);
        Assert.Equal(DeviceType.CPU, t.device_type);
    }

    [Theory]
    [InlineData("progressive_restart.jpg")] // progressive, restart markers (OpenCV)
    [InlineData("exif_trailing.jpg")] // EXIF segment, bytes after the end-of-image marker (PIL)
    public void AcceptsValidJpegVariants(string name)
    {
        using var t = ImageLoader.Load(Golden(name), ImagePreprocessing.None);
        Assert.Equal(new long[] { 1, 3, 24, 32 }, t.shape);
    }

    [Fact]
    public void MissingFileThrowsFileNotFound()
    {
        using var dir = new TempDir();
        string path = dir.File("nope.png");
        var ex = Assert.Throws<FileNotFoundException>(() => ImageLoader.Load(path));
        Assert.Equal(path, ex.FileName);
        Assert.Contains(path, ex.Message);
        Assert.Throws<FileNotFoundException>(() => ImageLoader.LoadRgb(dir.Path));
    }

    [Fact]
    public void NonImageThrowsInvalidDataWrappingUnknownFormat()
    {
        using var dir = new TempDir();
        string path = dir.File("notes.png");
        File.WriteAllText(path, "this is not an image, just some text that is long enough to be sniffed");
        var ex = Assert.Throws<InvalidDataException>(() => ImageLoader.Load(path));
        Assert.Contains(path, ex.Message);
        Assert.IsType<UnknownImageFormatException>(ex.InnerException);

        File.WriteAllBytes(dir.File("empty.jpg"), []);
        var empty = Assert.Throws<InvalidDataException>(() => ImageLoader.Load(dir.File("empty.jpg")));
        Assert.Contains("empty.jpg", empty.Message);
    }

    [Fact]
    public void CorruptPngThrowsInvalidData()
    {
        using var dir = new TempDir();
        using (var img = MakeTexture(40, 30))
            img.SaveAsPng(dir.File("good.png"));
        byte[] bytes = File.ReadAllBytes(dir.File("good.png"));

        // Signature followed by garbage.
        byte[] garbage = new byte[200];
        new Random(1).NextBytes(garbage);
        string path = dir.File("garbage.png");
        File.WriteAllBytes(path, [.. bytes.AsSpan(0, 8), .. garbage]);
        var ex = Assert.Throws<InvalidDataException>(() => ImageLoader.Load(path, ImagePreprocessing.None));
        Assert.Contains(path, ex.Message);

        // Image data overwritten (structure intact, CRCs now wrong).
        byte[] scrambled = (byte[])bytes.Clone();
        for (int i = 60; i < scrambled.Length - 20; i++)
            scrambled[i] ^= 0x5A;
        path = dir.File("scrambled.png");
        File.WriteAllBytes(path, scrambled);
        ex = Assert.Throws<InvalidDataException>(() => ImageLoader.Load(path, ImagePreprocessing.None));
        Assert.Contains(path, ex.Message);
    }

    [Theory]
    [InlineData("png")]
    [InlineData("jpg")]
    public void TruncatedFilesThrowInvalidData(string extension)
    {
        using var dir = new TempDir();
        string good = dir.File("good." + extension);
        using (var img = MakeTexture(120, 90))
        {
            if (extension == "png")
                img.SaveAsPng(good);
            else
                img.SaveAsJpeg(good);
        }
        using (var ok = ImageLoader.Load(good, ImagePreprocessing.None))
            Assert.Equal(new long[] { 1, 3, 90, 120 }, ok.shape);

        byte[] bytes = File.ReadAllBytes(good);
        foreach (int keep in new[] { bytes.Length / 2, bytes.Length - 1, 40 })
        {
            string path = dir.File($"cut{keep}.{extension}");
            File.WriteAllBytes(path, bytes.AsSpan(0, keep).ToArray());
            var ex = Assert.Throws<InvalidDataException>(() => ImageLoader.Load(path, ImagePreprocessing.None));
            Assert.Contains(path, ex.Message);
            Assert.Contains("truncated", ex.Message);
            Assert.Throws<InvalidDataException>(() => ImageLoader.LoadRgb(path, ImagePreprocessing.None).Dispose());
        }
    }

    [Fact]
    public void HugeImageIsRejectedFromItsHeaderBeforeDecoding()
    {
        using var dir = new TempDir();
        string path = dir.File("huge.png");
        File.WriteAllBytes(path, PngHeaderOnly(20000, 20000)); // 57 bytes claiming 400 megapixels
        var ex = Assert.Throws<InvalidDataException>(() => ImageLoader.Load(path));
        Assert.Contains(path, ex.Message);
        Assert.Contains("20000x20000", ex.Message);
        Assert.Contains("400 megapixels", ex.Message);
    }

    [Fact]
    public void MaxPixelsOptionIsEnforced()
    {
        using var dir = new TempDir();
        using (var img = MakeTexture(300, 200))
            img.SaveAsPng(dir.File("a.png"));
        var strict = ImagePreprocessing.ImageNet with { MaxPixels = 59_999 };
        var ex = Assert.Throws<InvalidDataException>(() => ImageLoader.Load(dir.File("a.png"), strict));
        Assert.Contains("300x200", ex.Message);
        using var t = ImageLoader.Load(dir.File("a.png"), strict with { MaxPixels = 60_000 });
        Assert.Equal(new long[] { 1, 3, 224, 224 }, t.shape);
    }
}
