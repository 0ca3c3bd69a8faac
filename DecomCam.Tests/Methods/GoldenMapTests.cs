using DecomCamNet.Cam;
using DecomCamNet.Imaging;
using DecomCamNet.Models;
using DecomCamNet.Tests.Support;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Methods;

/// <summary>
/// Every method against the independent Python reference (reference/cam_reference.py, Debian python3-torch). Cases:
/// seeded ShapesNet (48x48) at block3 and at block2 (where gradients vary over the map, so UnionCAM's AMD denoising
/// zeroes entries), seeded torchvision ResNet-18 at layer4 (96x96; 128x128 for DecomCAM, where no component is empty),
/// and the trained demo SceneNet at block4 on the bundled sample and a second scene. "Seeded" means the deterministic hash fill shared
/// with Python. Tolerances: 1e-4 for the gradient family, 1e-3 otherwise.
/// </summary>
public class GoldenMapTests(ITestOutputHelper output)
{
    /// <summary>The methods that forward many perturbed copies per channel or input.</summary>
    internal static readonly string[] Sampled = { "smoothgradcam++", "sscam", "iscam" };

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var model in new[] { "shapesnet", "shapesnet_block2", "resnet18", "demo" })
            foreach (var method in CamMethods.Names.Except(CamMethods.AttentionMethods))
                if (!(method is "cam" or "dff" && model == "shapesnet_block2") // block2 does not feed the classifier
                    && !(model == "resnet18" && Sampled.Contains(method)) // with fewer samples in FamilyTests
                    && !(model == "resnet18" && method == "finercam")) // its softmax is saturated: the classes near 5 and 817 have p = 0, so no gradient
                    data.Add(model, method);
        data.Add("resnet18_128", "decomcam");
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void FinalAndRawMapsMatchTheReference(string model, string method)
    {
        using var scope = NewDisposeScope();
        var (net, layer, input, targets) = Load(model);
        using var cam = CamMethods.Create(method, net, new CamLayer[] { layer });
        using var result = cam.Explain(input, targets);
        string file = method.Replace("++", "pp");
        // Against PyTorch 1.13 on another machine: the gradient family differs by the float32 rounding of one forward
        // and backward; Score-CAM, UnionCAM and DecomCAM combine hundreds of masked scores and Eigen-CAM an SVD, so they
        // get 10x more. Both hold with 1 or 2 threads and oneDNN limited to AVX2 or SSE4.1; a wrong weight, mask or
        // component moves [0,1] maps by > 1e-2.
        // Ablation-CAM's relative drops, KPCA-CAM's and Eigen-Grad-CAM's decompositions and FullGrad's per-channel min-max
        // of small bias gradients are as sensitive.
        float tolerance = method is "gradcam" or "gradcam++" or "xgradcam" or "layercam" or "hirescam" or "cam" or "gradcamelementwise" or "randomcam" ? 1e-4f : 1e-3f;
        AssertClose(Golden(model, file), result.Maps, tolerance, $"{model} {method} maps");
        var raw = Golden(model, file + "_raw");
        output.WriteLine($"{model} {method}: maps max abs diff {TestTensors.MaxAbsDiff(Golden(model, file), result.Maps):G3}, raw {TestTensors.MaxAbsDiff(raw, result.RawMaps[0]):G3} (raw scale {raw.abs().max().item<float>():G3})");
        float rawScale = Math.Max(1f, raw.abs().max().item<float>());
        AssertClose(raw, result.RawMaps[0], tolerance * rawScale, $"{model} {method} raw");
    }

    [Theory]
    [InlineData("shapesnet")]
    [InlineData("resnet18")]
    [InlineData("resnet18_128")]
    [InlineData("demo")]
    public void DecomCamComponentsAndWeightsMatchTheReference(string model)
    {
        using var scope = NewDisposeScope();
        var (net, layer, input, targets) = Load(model);
        foreach (var (mode, name) in new[] { (DecomIntegration.Paper, "paper"), (DecomIntegration.Official, "official") })
        {
            using var cam = new DecomCam(net, layer, new DecomCamOptions(Integration: mode));
            using var r = cam.Explain(input, targets);
            var ossm = Golden(model, "decomcam_ossm");
            // OSSMs come from a float32 SVD and a bicubic upsampling: relative 1e-3 of their range; singular values are
            // better conditioned (relative 1e-4). A component with the wrong sign or order is off by its whole range.
            AssertClose(ossm, r.Intermediate("ossm"), 1e-3f * Math.Max(1f, ossm.abs().max().item<float>()), $"{model} OSSMs");
            var s = Golden(model, "decomcam_singular");
            AssertClose(s, r.Intermediate("singular_values"), 1e-4f * Math.Max(1f, s.abs().max().item<float>()), $"{model} singular values");
            // A component with a numerically zero singular value (rank-deficient data: ResNet-18's 3x3 layer4 has rank 8)
            // has a rounding-noise mask, so its score and weight are not reproducible; compare the others.
            var real = s.gt(s[.., 0..1] * 1e-4);
            var w = Golden(model, $"decomcam_weights_{name}");
            AssertClose(w * real, r.Intermediate("weights") * real, 1e-3f, $"{model} {name} weights");
            AssertClose(Golden(model, $"decomcam_{name}"), r.Maps, 1e-3f, $"{model} {name} maps");
        }
    }

    [Theory]
    [InlineData("shapesnet")]
    [InlineData("shapesnet_block2")]
    [InlineData("resnet18")]
    [InlineData("demo")]
    public void UnionCamIntermediatesMatchTheReference(string model)
    {
        using var scope = NewDisposeScope();
        var (net, layer, input, targets) = Load(model);
        using var cam = new UnionCam(net, layer);
        using var r = cam.Explain(input, targets);
        AssertClose(Golden(model, "unioncam_den"), r.Intermediate("denoised"), 1e-3f, "denoised");
        AssertClose(Golden(model, "unioncam_reg"), r.Intermediate("region"), 1e-3f, "region");
        AssertClose(Golden(model, "unioncam_union"), r.Intermediate("union"), 1e-3f, "union");
        var betas = Golden(model, "unioncam_betas");
        AssertClose(betas, r.Intermediate("betas"), 1e-4f, "betas"); // differences of softmax probabilities in [0,1]
        // AMS compares two betas; where the reference's are within 1e-5 the choice is a coin toss (both maps agree then).
        var decided = (betas[.., 2] - betas[.., 1]).abs().gt(1e-5);
        AssertClose(Golden(model, "unioncam_selected") * decided, r.Intermediate("selected_union") * decided, 0f, "selection");
    }

    [Fact]
    public void BlurMatchesTheReference()
    {
        using var scope = NewDisposeScope();
        foreach (var model in new[] { "shapesnet", "resnet18" })
        {
            var input = Golden(model, "input");
            // 81-tap float32 sums of inputs of order 1: rounding ~1e-6; a wrong padding mode is off by > 1e-2 at the edges.
            AssertClose(Golden(model, "decomcam_blur"), GaussianBlur.Apply(input, 10), 1e-5f, $"{model} blur");
        }
    }

    /// <summary>The case's model (seeded, or the bundled demo weights), target layer, input and targets.</summary>
    internal static (nn.Module<Tensor, Tensor> Model, string Layer, Tensor Input, int[] Targets) Load(string golden)
    {
        var (architecture, layer) = golden switch
        {
            "shapesnet" => ("shapesnet", "block3"),
            "demo" => ("scenenet", "block4"),
            "shapesnet_block2" => ("shapesnet", "block2"),
            _ => ("resnet18", "layer4"),
        };
        var net = ModelZoo.Create(architecture);
        if (golden == "demo") StateDictLoader.Load(net, Path.Combine(AppContext.BaseDirectory, "assets", "scenenet.safetensors"));
        else DeterministicInit.FillModule(net);
        net.eval();
        var input = Golden(golden, "input");
        var targets = Golden(golden, "targets").data<float>().Select(t => (int)t).ToArray();
        return (net, layer, input, targets);
    }

    private static Tensor Golden(string model, string name) => NpyFile.Read(RepoPaths.Golden("cam", $"{model}_{name}.npy"));

    private static void AssertClose(Tensor expected, Tensor actual, float tolerance, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        float diff = TestTensors.MaxAbsDiff(expected, actual.to_type(expected.dtype));
        Assert.True(diff <= tolerance, $"{what}: max abs diff {diff} > {tolerance}");
    }
}
