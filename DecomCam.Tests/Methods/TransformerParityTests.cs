using DecomCamNet.Cam;
using DecomCamNet.Imaging;
using DecomCamNet.Models;
using DecomCamNet.Tests.Support;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Methods;

/// <summary>
/// Grad-CAM, Grad-CAM++, Score-CAM and Eigen-CAM on the zoo's ViT and Swin against pytorch-grad-cam with its documented
/// reshape transforms (reference/vit_pgc_reference.py, Debian python3-torch), on the reduced seeded torchvision models of
/// reference/vit_reference.py: the ViT at its last block's <c>ln_1</c> (class token dropped, 4x4 grid), targets 3 and 7;
/// Swin at its last stage (<c>[N,h,w,C]</c> permuted), target 3. Our side runs the zoo classes on that default layer with
/// the zoo's default reshape. The raw maps on the token grid (before ReLU) and the final maps must each have Pearson
/// r ≥ 0.999 and differ by at most 1e-3. pytorch-grad-cam min-max normalises its maps again after the resize (ours
/// stop at the resize, so a final map of ours is an affine image of its), so the final maps are compared after a per-image
/// min-max. Eigen-CAM's SVD leaves the sign open: pytorch-grad-cam's maps are taken under our sign rule
/// (<see cref="UnderOurSign"/>; the rule flips the ViT's first image). Score-CAM's ViT maps are negative everywhere
/// (the LayerNorm's biases are negative, and the softmax weights make the map nearly the channels' mean): both final
/// maps are zero, which the max abs diff checks, and the raw maps carry the comparison.
/// </summary>
public class TransformerParityTests(ITestOutputHelper output)
{
    private const double MinPearson = 0.999;
    private const double MaxDifference = 1e-3;

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var model in new[] { "vit", "swin" })
            foreach (var method in new[] { "gradcam", "gradcam++", "scorecam", "eigencam" })
                data.Add(model, method);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MapsMatchPytorchGradCam(string model, string method)
    {
        using var scope = NewDisposeScope();
        var (net, layer, input, targets) = Load(model);
        using (net)
        using (var cam = CamMethods.Create(method, net, [layer]))
        using (var result = cam.Explain(input, targets))
        {
            string file = $"pgc_{model}_{method.Replace("++", "pp")}";
            var theirRaw = Golden(file + "_raw.npy");
            var theirs = Golden(file + ".npy");
            if (method == "eigencam")
                (theirRaw, theirs) = UnderOurSign(theirRaw, theirs);
            Compare($"{model} {method} raw", result.RawMaps[0], theirRaw);
            Compare($"{model} {method} final (min-max)", MinMax(result.Maps), MinMax(theirs));
        }
    }

    /// <summary>
    /// pytorch-grad-cam's raw maps under our SVD sign rule (largest-magnitude entry positive), and its final maps as they
    /// would be under that rule: where the rule flips an image's sign, its flipped raw map post-processed as both
    /// libraries do (ReLU, min-max, bilinear resize) replaces its final map.
    /// </summary>
    internal static (Tensor Raw, Tensor Final) UnderOurSign(Tensor raw, Tensor final)
    {
        var sign = Pca.LargestEntrySign(raw.flatten(1)).unsqueeze(-1);
        var signed = raw * sign;
        var rebuilt = CamKernels.Resize(CamKernels.ReluNormalize(signed), final.shape[^2], final.shape[^1]);
        var kept = sign.gt(0f);
        return (signed, where(kept, final, rebuilt));
    }

    /// <summary>Each image's map min-max normalised (left as it is where it is constant).</summary>
    internal static Tensor MinMax(Tensor maps)
    {
        var flat = maps.flatten(1);
        var min = flat.amin(new long[] { 1 }, keepdim: true);
        var range = flat.amax(new long[] { 1 }, keepdim: true) - min;
        return ((flat - min) / where(range.gt(0f), range, ones_like(range))).reshape(maps.shape);
    }

    private void Compare(string what, Tensor ours, Tensor theirs) => Compare(output, what, ours, theirs, MaxDifference);

    /// <summary>
    /// Asserts each image's maps agree (r ≥ 0.999, max abs diff at most <paramref name="maxDifference"/>), writing both
    /// numbers to <paramref name="output"/>.
    /// </summary>
    internal static void Compare(ITestOutputHelper output, string what, Tensor ours, Tensor theirs, double maxDifference)
    {
        Assert.Equal(theirs.shape, ours.shape);
        for (int i = 0; i < ours.shape[0]; i++)
        {
            double diff = TestTensors.MaxAbsDiff(ours[i], theirs[i]);
            bool constant = theirs[i].max().item<float>() == theirs[i].min().item<float>();
            double r = constant ? double.NaN : PytorchGradCamParityTests.Pearson(ours[i], theirs[i]);
            output.WriteLine($"{what} image {i}: r = {r:F6}, max abs diff {diff:G3}");
            Assert.True(diff <= maxDifference, $"{what} image {i}: max abs diff {diff:G4} exceeds {maxDifference}");
            Assert.True(constant || r >= MinPearson, $"{what} image {i}: r = {r}");
        }
    }

    private static (nn.Module<Tensor, Tensor> Net, CamLayer Layer, Tensor Input, int[] Targets) Load(string model)
    {
        if (model == "vit")
        {
            var vit = VitLoader.LoadTorchvision(Vit("vit_torchvision.safetensors"), heads: 2);
            var layer = $"encoder.layers.encoder_layer_{vit.Config.Layers - 1}.ln_1";
            return (vit, ((CamLayer)layer).WithReshape(ModelZoo.DefaultReshape("vit-b-16")), Golden("vit_input.npy"), [3, 7]);
        }
        var config = new SwinConfig(4, 8, [2, 2], [2, 2], 4, NumClasses: 10);
        var swin = new SwinTransformer(config);
        var loaded = StateDictLoader.Load(swin, Vit("swin.pth"));
        Assert.Empty(loaded.MissingKeys);
        swin.eval();
        return (swin, ((CamLayer)config.LastStage).WithReshape(ModelZoo.DefaultReshape("swin-t")), Golden("swin_input.npy"), [3]);
    }

    private static string Vit(string name) => RepoPaths.Golden("vit", name);

    private static Tensor Golden(string name) => NpyFile.Read(Vit(name));
}
