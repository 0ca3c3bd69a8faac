using DecomCamNet.Imaging;
using DecomCamNet.Models;
using DecomCamNet.Tests.Support;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Methods;

/// <summary>
/// Every method against the independent Python reference (reference/cam_reference.py, Debian python3-torch) on two
/// seeded models: ShapesNet (48x48, layer block3) and torchvision ResNet-18 (96x96, layer layer4), both filled by the
/// deterministic hash fill shared with Python. Tolerances: 1e-4 for the gradient family, 1e-3 otherwise.
/// </summary>
public class GoldenMapTests
{
    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var model in new[] { "shapesnet", "resnet18" })
            foreach (var method in CamMethods.Names)
                data.Add(model, method);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void FinalAndRawMapsMatchTheReference(string model, string method)
    {
        using var scope = NewDisposeScope();
        var (net, input, targets) = Load(model);
        using var cam = CamMethods.Create(method, net, new CamLayer[] { ModelZoo.DefaultLayer(model) });
        using var result = cam.Explain(input, targets);
        string file = method == "gradcam++" ? "gradcampp" : method;
        float tolerance = method is "scorecam" or "unioncam" or "decomcam" or "eigencam" ? 1e-3f : 1e-4f;
        AssertClose(Golden(model, file), result.Maps, tolerance, $"{model} {method} maps");
        var raw = Golden(model, file + "_raw");
        float rawScale = Math.Max(1f, raw.abs().max().item<float>());
        AssertClose(raw, result.RawMaps[0], tolerance * rawScale, $"{model} {method} raw");
    }

    [Theory]
    [InlineData("shapesnet")]
    [InlineData("resnet18")]
    public void DecomCamComponentsAndWeightsMatchTheReference(string model)
    {
        using var scope = NewDisposeScope();
        var (net, input, targets) = Load(model);
        foreach (var (mode, name) in new[] { (DecomIntegration.Paper, "paper"), (DecomIntegration.Official, "official") })
        {
            using var cam = new DecomCam(net, ModelZoo.DefaultLayer(model), new DecomCamOptions(Integration: mode));
            using var r = cam.Explain(input, targets);
            var ossm = Golden(model, "decomcam_ossm");
            AssertClose(ossm, r.Intermediate("ossm"), 1e-3f * Math.Max(1f, ossm.abs().max().item<float>()), $"{model} OSSMs");
            var s = Golden(model, "decomcam_singular");
            AssertClose(s, r.Intermediate("singular_values"), 1e-4f * Math.Max(1f, s.abs().max().item<float>()), $"{model} singular values");
            AssertClose(Golden(model, $"decomcam_weights_{name}"), r.Intermediate("weights"), 1e-3f, $"{model} {name} weights");
            AssertClose(Golden(model, $"decomcam_{name}"), r.Maps, 1e-3f, $"{model} {name} maps");
        }
    }

    [Theory]
    [InlineData("shapesnet")]
    [InlineData("resnet18")]
    public void UnionCamIntermediatesMatchTheReference(string model)
    {
        using var scope = NewDisposeScope();
        var (net, input, targets) = Load(model);
        using var cam = new UnionCam(net, ModelZoo.DefaultLayer(model));
        using var r = cam.Explain(input, targets);
        AssertClose(Golden(model, "unioncam_den"), r.Intermediate("denoised"), 1e-3f, "denoised");
        AssertClose(Golden(model, "unioncam_reg"), r.Intermediate("region"), 1e-3f, "region");
        AssertClose(Golden(model, "unioncam_union"), r.Intermediate("union"), 1e-3f, "union");
        AssertClose(Golden(model, "unioncam_betas"), r.Intermediate("betas"), 1e-4f, "betas");
        AssertClose(Golden(model, "unioncam_selected"), r.Intermediate("selected_union"), 0f, "selection");
    }

    [Fact]
    public void BlurMatchesTheReference()
    {
        using var scope = NewDisposeScope();
        foreach (var model in new[] { "shapesnet", "resnet18" })
        {
            var input = Golden(model, "input");
            AssertClose(Golden(model, "decomcam_blur"), GaussianBlur.Apply(input, 10), 1e-5f, $"{model} blur");
        }
    }

    internal static (nn.Module<Tensor, Tensor> Model, Tensor Input, int[] Targets) Load(string model)
    {
        var net = ModelZoo.Create(model, model == "shapesnet" ? 4 : 1000);
        DeterministicInit.FillModule(net);
        net.eval();
        var input = Golden(model, "input");
        var targets = Golden(model, "targets").data<float>().Select(t => (int)t).ToArray();
        return (net, input, targets);
    }

    private static Tensor Golden(string model, string name) => NpyFile.Read(RepoPaths.Golden("cam", $"{model}_{name}.npy"));

    private static void AssertClose(Tensor expected, Tensor actual, float tolerance, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        float diff = TestTensors.MaxAbsDiff(expected, actual.to_type(expected.dtype));
        Assert.True(diff <= tolerance, $"{what}: max abs diff {diff} > {tolerance}");
    }
}
