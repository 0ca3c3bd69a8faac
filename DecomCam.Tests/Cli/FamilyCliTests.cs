using DecomCamNet.Imaging;
using DecomCamNet.Tests.Support;

namespace DecomCamNet.Tests.Cli;

/// <summary>
/// The options of the added methods from the command line: --seed, --kpca-kernel, --classifier, the smoothgradcampp alias,
/// the guided methods, --aug-smooth, --eigen-smooth, --samples and --noise-std.
/// </summary>
public sealed class FamilyCliTests : CliRun
{
    private float[] Map(params string[] args)
    {
        var (code, _, err) = Run(args.Prepend("explain").Concat(new[] { "--save-map", P("m.npy") }).ToArray());
        Assert.True(code == 0, err);
        using var map = NpyFile.Read(P("m.npy"));
        return map.data<float>().ToArray();
    }

    [Fact]
    public void SeedPicksRandomCamsWeights()
    {
        // Within float32 rounding, not bit for bit: a test beside this one may change process-wide settings (libtorch's
        // thread count, oneDNN during its backward pass) between the two runs, and kernels then sum in another order.
        var one = Map("--method", "randomcam", "--seed", "1");
        Assert.True(MaxDiff(one, Map("--method", "randomcam", "--seed", "1")) < 1e-5f);
        Assert.True(MaxDiff(one, Map("--method", "randomcam", "--seed", "2")) > 0.1f);
    }

    private static float MaxDiff(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max();

    [Fact]
    public void KpcaKernelLinearGivesEigenCamsMap()
    {
        var linear = Map("--method", "kpcacam", "--kpca-kernel", "linear");
        var eigen = Map("--method", "eigencam");
        Assert.True(MaxDiff(linear, eigen) < 1e-3f);
        Assert.True(MaxDiff(linear, Map("--method", "kpcacam")) > 1e-3f); // the default kernel is the sigmoid
    }

    [Fact]
    public void ClassifierNamesCamsLinearLayer()
    {
        Assert.True(MaxDiff(Map("--method", "cam"), Map("--method", "cam", "--classifier", "fc")) < 1e-5f);
        var (code, _, err) = Run("explain", "--method", "cam", "--classifier", "block4");
        Assert.NotEqual(0, code);
        Assert.Contains("block4", err);
    }

    [Fact]
    public void DffWritesTheConceptPictureAndTakesTheConceptCount()
    {
        var (code, stdout, err) = Run("explain", "--method", "dff", "--concepts", "3", "--overlay", P("o.png"));
        Assert.True(code == 0, err);
        Assert.True(File.Exists(P("o_concepts.png")), stdout);
        Assert.Equal(3, stdout.Split('\n').Count(l => l.StartsWith("concept ")));
        Assert.NotEqual(0, Run("explain", "--method", "dff", "--concepts", "0").Code);
    }

    [Fact]
    public void AddedMethodOptionsChangeTheirMaps()
    {
        // More than rounding apart: an option that is read changes maps in [0,1] by far more than 1e-3.
        Assert.True(MaxDiff(Map("--method", "fem"), Map("--method", "fem", "--fem-k", "0")) > 1e-3f);
        Assert.True(MaxDiff(Map("--method", "finercam"), Map("--method", "finercam", "--finer-comparisons", "1", "--finer-alpha", "0.5")) > 1e-3f);
        Assert.True(MaxDiff(Map("--method", "refinecam"), Map("--method", "refinecam", "--refine-base", "layercam")) > 1e-3f);
    }

    [Fact]
    public void SmoothGradCamPlusPlusHasItsAsciiAlias() =>
        Assert.True(MaxDiff(Map("--method", "smoothgradcam++", "--seed", "3"), Map("--method", "smoothgradcampp", "--seed", "3")) < 1e-5f);

    [Fact]
    public void GuidedMethodsAndSmoothingOptionsRun()
    {
        var guided = Map("--method", "guidedbackprop");
        Assert.InRange(guided.Max(), 0.99f, 1f); // min-max normalised pixel map
        Assert.True(MaxDiff(guided, Map("--method", "guidedgradcam")) > 1e-3f);
        var gradcam = Map("--method", "gradcam");
        Assert.True(MaxDiff(gradcam, Map("--method", "gradcam", "--aug-smooth")) > 1e-3f);
        Assert.True(MaxDiff(gradcam, Map("--method", "gradcam", "--eigen-smooth")) > 1e-3f);
    }

    [Fact]
    public void SamplesAndNoiseStdSetTheSampledMethods()
    {
        // Before block4's ReLU: after it, the gradient of this GAP-linear head is the same for every noisy copy.
        string[] method = { "--method", "smoothgradcam++", "--layer", "block4.1" };
        var few = Map([.. method, "--samples", "2"]);
        Assert.True(MaxDiff(few, Map([.. method, "--samples", "2", "--noise-std", "0.3"])) < 1e-5f); // 0.3: the default
        Assert.True(MaxDiff(few, Map([.. method, "--samples", "2", "--noise-std", "0.05"])) > 1e-3f);
        Assert.True(MaxDiff(few, Map(method)) > 1e-3f);
    }

    [Theory]
    [InlineData("--method gradcam --samples 3", "--samples goes with")]
    [InlineData("--method iscam --noise-std 0.5", "--noise-std goes with")]
    [InlineData("--method sscam --samples 0", "--samples")]
    [InlineData("--method sscam --noise-std -1", "--noise-std")]
    [InlineData("--method decomcam --eigen-smooth", "does not apply to decomcam")]
    [InlineData("--method guidedbackprop --eigen-smooth", "does not apply to guidedbackprop")]
    public void BadSmoothingAndSamplingOptionsAreUsageErrors(string args, string expected)
    {
        var (code, _, err) = Run(args.Split(' ').Prepend("explain").ToArray());
        Assert.Equal(2, code);
        Assert.Contains(expected, err);
    }
}
