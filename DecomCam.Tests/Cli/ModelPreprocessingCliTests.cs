using DecomCamNet.Imaging;
using DecomCamNet.Models;
using DecomCamNet.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace DecomCamNet.Tests.Cli;

/// <summary>Each model meets an image with the preprocessing it was trained with, and says when it is unsure.</summary>
public sealed class ModelPreprocessingCliTests : CliRun
{
    private static string Sample => Path.Combine(AppContext.BaseDirectory, "assets", "sample.png");

    [Fact]
    public void TheZooGivesEachModelItsTrainingPreprocessing()
    {
        Assert.Equal((128, (int?)null), (ModelZoo.Preprocessing("SceneNet").Resize, ModelZoo.Preprocessing("scenenet").CenterCrop));
        Assert.Equal(ImagePreprocessing.ImageNet, ModelZoo.Preprocessing("resnet50"));
        Assert.Equal(ImagePreprocessing.ImageNet, ModelZoo.Preprocessing("vgg16_bn"));
        Assert.Equal(ImagePreprocessing.None, ModelZoo.Preprocessing("shapesnet"));
        Assert.True(ModelZoo.IsMultiLabel("scenenet"));
        Assert.False(ModelZoo.IsMultiLabel("resnet18"));
        Assert.Throws<ArgumentException>(() => ModelZoo.Preprocessing("resnet9"));
    }

    [Fact]
    public void TheBundledModelSeesALargerImageAtItsTrainingSize()
    {
        using (var image = Image.Load<Rgb24>(Sample))
        {
            image.Mutate(x => x.Resize(384, 384, KnownResamplers.NearestNeighbor));
            image.SaveAsPng(P("big.png"));
        }
        var atSample = Run("explain", "--overlay", P("a.png"));
        var atBig = Run("explain", "--input", P("big.png"), "--overlay", P("b.png"), "--bare-overlay");
        Assert.True(atBig.Code == 0, atBig.Err);
        Assert.Contains("for class 5 (ring)", atSample.Out);
        Assert.Contains("for class 5 (ring)", atBig.Out); // resized to 128 px: the sample again
        Assert.DoesNotContain("warning", atBig.Err);
        using var overlay = Image.Load<Rgb24>(P("b.png"));
        Assert.Equal((128, 128), (overlay.Width, overlay.Height));
    }

    [Fact]
    public void AnImageTheModelIsUnsureOfGetsAWarning()
    {
        using (var grey = new Image<Rgb24>(128, 128, new Rgb24(128, 128, 128))) grey.SaveAsPng(P("grey.png"));
        var (code, _, err) = Run("explain", "--input", P("grey.png"), "--overlay", P("g.png"));
        Assert.Equal(0, code);
        var warning = Assert.Single(err.Split('\n'), l => l.StartsWith("warning: image 0:", StringComparison.Ordinal));
        Assert.Contains("sigmoid probability of only", warning);
        Assert.Contains("shorter side resized to 128 px", warning);

        var sample = Run("explain", "--overlay", P("s.png"));
        Assert.DoesNotContain("warning", sample.Err); // the sample's ring: sigmoid 1.00
        var given = Run("explain", "--input", P("grey.png"), "--target", "2", "--overlay", P("t.png"));
        Assert.DoesNotContain("warning", given.Err); // a class the user chose is not a guess
    }
}
