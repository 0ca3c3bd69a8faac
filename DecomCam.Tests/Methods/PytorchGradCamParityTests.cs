using DecomCamNet.Cam;
using DecomCamNet.Imaging;
using DecomCamNet.Tests.Support;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Methods;

/// <summary>
/// Every method that pytorch-grad-cam also has, against pytorch-grad-cam itself (reference/grad_cam_parity.py, Debian
/// python3-torch): seeded ResNet-18 at layer4, 96x96 input, targets 5 and 817. Pearson r of each image's final map
/// ≥ 0.999. Where an SVD leaves the sign open (Eigen-CAM, Eigen-Grad-CAM: pytorch-grad-cam keeps what the SVD gives),
/// the raw maps are compared after our sign rule (largest-magnitude entry positive) is applied to pytorch-grad-cam's,
/// and the final maps with its final maps under that rule (<see cref="TheirFinalsUnderOurSign"/>). Also the guided methods and the smoothing options
/// (<see cref="GuidedAndSmoothedMapsCorrelateWithPytorchGradCam"/>).
/// </summary>
public class PytorchGradCamParityTests(ITestOutputHelper output)
{
    public static TheoryData<string> Methods() => new()
    {
        "gradcam", "gradcam++", "xgradcam", "layercam", "hirescam", "eigencam", "eigengradcam", "gradcamelementwise",
        "ablationcam", "kpcacam", "fullgrad", "shapleycam", "fem", "segeigencam", "refinecam",
    };

    /// <summary>
    /// Runs that need another target or layers: Finer-CAM on each image's top class (pytorch-grad-cam's own choice of the
    /// contrasted classes when it is given no targets) and RefineCAM over layer3 and layer4. (ShapleyCAM's softmax run is
    /// not here: detinit ResNet-18's softmax is saturated, so both maps are empty; FinerAndShapleyCamTests checks it on
    /// ShapesNet against our reference.)
    /// </summary>
    [Theory]
    [InlineData("finercam")]
    [InlineData("refinecam_two")]
    public void MapsWithOtherTargetsOrLayersCorrelateWithPytorchGradCam(string file)
    {
        using var scope = NewDisposeScope();
        var (net, layer, input, targets) = GoldenMapTests.Load("resnet18");
        var (method, layers, target) = file switch
        {
            "finercam" => ("finercam", new CamLayer[] { layer }, CamTarget.TopClass),
            _ => ("refinecam", new CamLayer[] { "layer3", layer }, (CamTarget)targets),
        };
        using var cam = CamMethods.Create(method, net, layers);
        using var result = cam.Explain(input, target);
        var theirs = Golden($"pgc_resnet18_{file}.npy");
        for (int i = 0; i < 2; i++)
        {
            double r = Pearson(result.Maps[i], theirs[i]);
            output.WriteLine($"{file} image {i}: r = {r:F6}, max abs diff {TestTensors.MaxAbsDiff(result.Maps[i], theirs[i]):G3}");
            Assert.True(r >= 0.999, $"{file} image {i}: r = {r}");
        }
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void MapsCorrelateWithPytorchGradCam(string method)
    {
        using var scope = NewDisposeScope();
        var (net, layer, input, targets) = GoldenMapTests.Load("resnet18");
        using var cam = CamMethods.Create(method, net, new CamLayer[] { layer });
        using var result = cam.Explain(input, targets);
        string file = method.Replace("++", "pp");
        var theirs = Golden($"pgc_resnet18_{file}.npy");
        if (method is "eigencam" or "eigengradcam")
            theirs = TheirFinalsUnderOurSign(file, theirs, result.RawMaps[0]);
        for (int i = 0; i < 2; i++)
        {
            double r = Pearson(result.Maps[i], theirs[i]);
            output.WriteLine($"{method} image {i}: r = {r:F6}, max abs diff {TestTensors.MaxAbsDiff(result.Maps[i], theirs[i]):G3}");
            Assert.True(r >= 0.999, $"{method} image {i}: r = {r}");
        }
    }

    public static TheoryData<string> GuidedAndSmoothed() => new()
    {
        "guidedbackprop", "guidedgradcam", "gradcam_augsmooth", "gradcam_eigensmooth", "gradcampp_eigensmooth", "layercam_eigensmooth",
    };

    /// <summary>
    /// Guided Backpropagation's gradient and Guided Grad-CAM's product (pytorch-grad-cam's <c>cam_mask * gb</c>), [3,H,W]
    /// per image, against our intermediates; Grad-CAM with aug_smooth=True (ttach's flips and factors) against our
    /// AugSmooth maps; eigen_smooth=True against our EigenSmooth raw and final maps after our sign rule.
    /// </summary>
    [Theory]
    [MemberData(nameof(GuidedAndSmoothed))]
    public void GuidedAndSmoothedMapsCorrelateWithPytorchGradCam(string file)
    {
        using var scope = NewDisposeScope();
        var (net, layer, input, targets) = GoldenMapTests.Load("resnet18");
        string method = file.Split('_')[0].Replace("gradcampp", "gradcam++");
        var settings = new CamMethodSettings { AugSmooth = file.EndsWith("_augsmooth"), EigenSmooth = file.EndsWith("_eigensmooth") };
        using var cam = CamMethods.Create(method, net, new CamLayer[] { layer }, settings);
        using var result = cam.Explain(input, targets);
        var theirs = Golden($"pgc_resnet18_{file}.npy");
        var ours = method switch
        {
            "guidedbackprop" => result.Intermediate("guided_gradient"),
            "guidedgradcam" => result.Intermediate("guided_gradcam"),
            _ => result.Maps,
        };
        if (settings.EigenSmooth)
            theirs = TheirFinalsUnderOurSign(file, theirs, result.RawMaps[0]);
        for (int i = 0; i < 2; i++)
        {
            double r = Pearson(ours[i], theirs[i]);
            output.WriteLine($"{file} image {i}: r = {r:F6}, max abs diff {TestTensors.MaxAbsDiff(ours[i], theirs[i]):G3}");
            Assert.True(r >= 0.999, $"{file} image {i}: r = {r}");
        }
    }

    /// <summary>
    /// Every golden SVD sign agrees with our rule today, so the flipped branch of <see cref="TheirFinalsUnderOurSign"/> is
    /// exercised here: Eigen-CAM's raw maps negated, and as final maps what pytorch-grad-cam would make of those (ReLU of
    /// the negated component: almost nothing of the true map), must still give our final maps.
    /// </summary>
    [Fact]
    public void AFlippedSvdSignIsComparedThroughItsRebuiltFinalMap()
    {
        using var scope = NewDisposeScope();
        var (net, layer, input, targets) = GoldenMapTests.Load("resnet18");
        using var cam = CamMethods.Create("eigencam", net, new CamLayer[] { layer });
        using var result = cam.Explain(input, targets);
        var flipped = -Golden("pgc_resnet18_eigencam_raw.npy");
        var theirFinals = CamKernels.Resize(CamKernels.ReluNormalize(flipped), 96, 96);
        var expected = TheirFinalsUnderOurSign("eigencam (flipped)", flipped, theirFinals, result.RawMaps[0]);
        for (int i = 0; i < 2; i++)
        {
            Assert.True(Pearson(result.Maps[i], expected[i]) >= 0.999, $"image {i}");
            Assert.True(Pearson(result.Maps[i], theirFinals[i]) < 0.9, $"image {i}: the flipped final map should not match");
        }
    }

    /// <summary>
    /// pytorch-grad-cam's final maps as they would be under our sign rule, for a method whose SVD leaves the sign open:
    /// checks our raw maps against its raw maps (<c>_raw.npy</c>, [2,h,w]) after the rule, and that its raw map,
    /// post-processed as it does (ReLU, min-max, bilinear resize), gives its final map where the rule keeps its sign; an
    /// image whose sign the rule flips gets that post-processing of the flipped raw map instead of its final map.
    /// </summary>
    private Tensor TheirFinalsUnderOurSign(string file, Tensor theirs, Tensor ourRaw) =>
        TheirFinalsUnderOurSign(file, Golden($"pgc_resnet18_{file}_raw.npy"), theirs, ourRaw);

    private Tensor TheirFinalsUnderOurSign(string file, Tensor raw, Tensor theirs, Tensor ourRaw)
    {
        var sign = Pca.LargestEntrySign(raw.flatten(1)).unsqueeze(-1);                     // [2,1,1]
        var signed = raw * sign;
        var rebuilt = CamKernels.Resize(CamKernels.ReluNormalize(signed), theirs.shape[^2], theirs.shape[^1]);
        var finals = new Tensor[2];
        for (int i = 0; i < 2; i++)
        {
            bool kept = sign[i].item<float>() > 0;
            double rr = Pearson(ourRaw[i], signed[i]);
            output.WriteLine($"{file} image {i}: raw r = {rr:F6} (their sign {(kept ? "+" : "-")})");
            Assert.True(rr >= 0.999, $"{file} image {i}: raw r = {rr}");
            if (kept)
            {
                double rf = Pearson(rebuilt[i], theirs[i]);
                Assert.True(rf >= 0.999, $"{file} image {i}: its raw map post-processed gives r = {rf} with its final map");
            }
            finals[i] = kept ? theirs[i] : rebuilt[i];
        }
        return stack(finals);
    }

    internal static double Pearson(Tensor a, Tensor b)
    {
        var x = a.flatten().to_type(ScalarType.Float64);
        var y = b.flatten().to_type(ScalarType.Float64);
        x = x - x.mean();
        y = y - y.mean();
        return ((x * y).sum() / (x.norm() * y.norm())).item<double>();
    }

    private static Tensor Golden(string name) => NpyFile.Read(RepoPaths.Golden("cam", name));
}
