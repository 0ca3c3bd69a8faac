using DecomCamNet.Cam;
using DecomCamNet.Imaging;
using DecomCamNet.Models;
using DecomCamNet.Tests.Support;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Methods;

/// <summary>
/// What the methods added for issue 12 must do beyond matching their goldens (GoldenMapTests): identities that follow
/// from their formulas on ConvGapLinear (conv → ReLU → global average pool → linear), options, seeds and bad input.
/// </summary>
public class FamilyTests
{
    [Fact]
    public void CamIsGradCamTimesThePositionsOnAGapLinearHead()
    {
        // ∂(fc · mean_hw A)/∂A_k = W_{c,k} / (h·w) everywhere, so Grad-CAM's weights are the CAM weights over h·w.
        using var scope = NewDisposeScope();
        var model = new ConvGapLinear(channels: 12);
        var x = TestTensors.Batch(2, 20, 24);
        using var cam = new ClassicCam(model, "features");
        using var grad = new GradCam(model, "features");
        using var rc = cam.Explain(x, new[] { 1, 4 });
        using var rg = grad.Explain(x, new[] { 1, 4 });
        Assert.Equal("fc", cam.ClassifierName);
        // float32 sums of 12 products of order 1: 1e-5 relative; a wrong class row is off by its whole range.
        var scale = rc.RawMaps[0].abs().max().item<float>();
        Assert.True(TestTensors.MaxAbsDiff(rc.RawMaps[0], rg.RawMaps[0] * (20 * 24)) < 1e-5f * scale);
        using var named = new ClassicCam(model, "features", new ClassicCamOptions("fc"));
        using var rn = named.Explain(x, new[] { 1, 4 });
        Assert.Equal(0f, TestTensors.MaxAbsDiff(rc.Maps, rn.Maps));
    }

    [Fact]
    public void CamRejectsWhatItCannotExplain()
    {
        using var scope = NewDisposeScope();
        var shapes = ModelZoo.Create("shapesnet");
        DeterministicInit.FillModule(shapes);
        var x = TestTensors.Batch(1, 48, 48);
        using (var block2 = new ClassicCam(shapes, "block2"))
            Assert.Contains("32 channels", Assert.Throws<CamException>(() => block2.Explain(x, 1)).Message);
        using (var custom = new ClassicCam(shapes, "block3"))
            Assert.Contains("class targets", Assert.Throws<CamException>(() => custom.Explain(x, CamTarget.Custom(o => o.sum(1)))).Message);
        Assert.Contains("not a linear layer", Assert.Throws<ArgumentException>(() => new ClassicCam(shapes, "block3", new ClassicCamOptions("block3"))).Message);
        Assert.Contains("has none", Assert.Throws<ArgumentException>(() => new ClassicCam(new DetachingNetWithoutLinear(), "conv")).Message);
    }

    [Fact]
    public void RandomCamIsDeterministicForASeedAndDiffersAcrossSeeds()
    {
        using var scope = NewDisposeScope();
        var model = new ConvGapLinear(channels: 12);
        var x = TestTensors.Batch(2, 20, 20);
        using var a = new RandomCam(model, "features", new RandomCamOptions(Seed: 5));
        using var b = new RandomCam(model, "features", new RandomCamOptions(Seed: 5));
        using var c = new RandomCam(model, "features", new RandomCamOptions(Seed: 6));
        using var ra = a.Explain(x, new[] { 0, 1 });
        using var ra2 = a.Explain(x, new[] { 0, 1 });
        using var rb = b.Explain(x, new[] { 0, 1 });
        using var rc = c.Explain(x, new[] { 0, 1 });
        var w = ra.Intermediate("weights");
        Assert.Equal(new long[] { 2, 12 }, w.shape);
        Assert.True(w.min().item<float>() >= -1f && w.max().item<float>() < 1f);
        Assert.Equal(0f, TestTensors.MaxAbsDiff(w, ra2.Intermediate("weights")));
        Assert.Equal(0f, TestTensors.MaxAbsDiff(w, rb.Intermediate("weights")));
        Assert.True(TestTensors.MaxAbsDiff(w, rc.Intermediate("weights")) > 0.1f);
    }

    [Fact]
    public void AblatingAChannelRemovesExactlyItsTermBeforeAndAfterTheReLU()
    {
        // Score = fc · mean_hw ReLU(conv) + b. Ablating channel k after the ReLU (value 0) or before it (its minimum
        // − 1e7, which the ReLU zeroes) both remove W_{c,k} · mean ReLU(conv_k) from the score, and nothing else.
        using var scope = NewDisposeScope();
        var model = new ConvGapLinear(channels: 6);
        var x = TestTensors.Batch(2, 16, 16);
        var classes = new[] { 2, 0 };
        using var after = new AblationCam(model, "features", new AblationCamOptions(BatchSize: 4));
        using var before = new AblationCam(model, "features.conv", new AblationCamOptions(BatchSize: 4));
        using var ra = after.Explain(x, classes);
        using var rb = before.Explain(x, classes);
        var pooled = nn.functional.relu(model.features.call(x)).mean(new long[] { 2, 3 }); // [2,6]
        var rows = model.fc.weight!.index_select(0, tensor(new long[] { 2, 0 })); // [2,6]
        var expected = ra.Scores.unsqueeze(1) - rows * pooled;
        // Logits of order 1 from float32 forwards: 1e-5; a wrong ablated channel or value misses by a whole term.
        Assert.True(TestTensors.MaxAbsDiff(expected, ra.Intermediate("ablation_scores")) < 1e-5f);
        Assert.True(TestTensors.MaxAbsDiff(expected, rb.Intermediate("ablation_scores")) < 1e-5f);
        var weights = (ra.Scores.unsqueeze(1) - expected) / ra.Scores.unsqueeze(1);
        Assert.True(TestTensors.MaxAbsDiff(weights, ra.Intermediate("weights")) < 1e-4f);
    }

    [Fact]
    public void AblationSkipsChannelsItCannotChange()
    {
        // A channel that is zero everywhere after the ReLU is not forwarded: its score stays the original, its weight 0.
        using var scope = NewDisposeScope();
        var model = new ConvGapLinear(channels: 6);
        using (no_grad()) model.features.parameters().Last()[3] = -100f; // conv bias of channel 3: always negative
        var x = TestTensors.Batch(1, 16, 16) * 0.1f;
        using var cam = new AblationCam(model, "features", new AblationCamOptions(BatchSize: 2));
        var totals = new List<long>();
        using var r = cam.Explain(x, 1, new SyncProgress(p => totals.Add(p.Total)));
        // At most the 5 live channels are forwarded (another channel can also be dead for this input: its pre-activation is
        // near zero everywhere, and another test thread's backward may switch oneDNN off mid-forward, moving it by 1e-7).
        Assert.All(totals, t => Assert.Equal(totals[0], t));
        Assert.InRange(totals[0], 1, 5);
        Assert.Equal(0f, r.Intermediate("weights")[0, 3].item<float>());
        Assert.Equal(r.Scores[0].item<float>(), r.Intermediate("ablation_scores")[0, 3].item<float>());
    }

    [Fact]
    public void AblationRejectsTokenLayers()
    {
        var model = new ConvGapLinear();
        var layer = ((CamLayer)"features").WithReshape(ActivationReshape.Vit);
        Assert.Contains("tokens", Assert.Throws<ArgumentException>(() => new AblationCam(model, layer)).Message);
        Assert.Equal(0, TestTensors.ForwardHookCountInModel(model));
    }

    [Fact]
    public void BadOptionsThrowBeforeAnyHookIsRegistered()
    {
        var model = new ConvGapLinear();
        Assert.Throws<ArgumentOutOfRangeException>(() => new KpcaCam(model, "features", new KpcaCamOptions(Gamma: 0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new KpcaCam(model, "features", new KpcaCamOptions(Degree: 0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new KpcaCam(model, "features", new KpcaCamOptions((KpcaKernel)42)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AblationCam(model, "features", new AblationCamOptions(BatchSize: 0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SsCam(model, "features", new SsCamOptions(NoiseStd: double.NaN)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new IsCam(model, "features", new IsCamOptions(Samples: 0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SmoothGradCamPlusPlus(model, "features", new SmoothGradCamPlusPlusOptions(Samples: 0)));
        Assert.Equal(0, TestTensors.ForwardHookCountInModel(model));
    }

    [Fact]
    public void KpcaWithTheLinearKernelIsEigenCam()
    {
        // Kernel PCA with ⟨x,y⟩ is PCA: the top eigenvector of the centred Gram matrix times √λ is U_0 S_0.
        using var scope = NewDisposeScope();
        var model = new ConvGapLinear(channels: 12);
        var x = TestTensors.Batch(2, 18, 18);
        using var kpca = new KpcaCam(model, "features", new KpcaCamOptions(KpcaKernel.Linear));
        using var eigen = new EigenCam(model, "features");
        using var rk = kpca.Explain(x, new[] { 0, 1 });
        using var re = eigen.Explain(x, new[] { 0, 1 });
        var scale = re.RawMaps[0].abs().max().item<float>();
        // float32 SVD against float64 eigh: 1e-4 relative; a wrong centring or component is off by the map's range.
        Assert.True(TestTensors.MaxAbsDiff(re.RawMaps[0], rk.RawMaps[0]) < 1e-4f * scale);
    }

    [Theory]
    [InlineData("shapesnet")]
    [InlineData("shapesnet_block2")]
    [InlineData("resnet18")]
    [InlineData("demo")]
    public void KpcaKernelsMatchTheReference(string model)
    {
        using var scope = NewDisposeScope();
        var (net, layer, input, targets) = GoldenMapTests.Load(model);
        foreach (var kernel in Enum.GetValues<KpcaKernel>())
        {
            // detinit ResNet-18's layer4 activations are so far apart that the RBF kernel matrix is the identity: every
            // eigenvalue ties and the component is arbitrary (the reference warns); skip that pair.
            if (kernel == KpcaKernel.Rbf && model == "resnet18") continue;
            using var cam = new KpcaCam(net, layer, new KpcaCamOptions(kernel));
            using var r = cam.Explain(input, targets);
            string file = kernel == KpcaKernel.Sigmoid ? "kpcacam" : $"kpcacam_{kernel.ToString().ToLowerInvariant()}";
            var raw = Golden(model, file + "_raw");
            // float64 eigenproblems on float32 activations: the activations' rounding, 1e-4 of the map's range.
            Assert.True(TestTensors.MaxAbsDiff(raw, r.RawMaps[0]) < 1e-4f * Math.Max(1f, raw.abs().max().item<float>()), $"{kernel} raw");
            Assert.True(TestTensors.MaxAbsDiff(Golden(model, file), r.Maps) < 1e-3f, $"{kernel} maps");
        }
    }

    [Theory]
    [InlineData("shapesnet")]
    [InlineData("resnet18")]
    public void AblationScoresMatchTheReference(string model)
    {
        using var scope = NewDisposeScope();
        var (net, layer, input, targets) = GoldenMapTests.Load(model);
        using var cam = new AblationCam(net, layer);
        using var r = cam.Explain(input, targets);
        var expected = Golden(model, "ablationcam_scores");
        // Logits from float32 forwards, relative 1e-5 of their largest (ResNet-18's span ±200); skipped channels keep
        // the original score where the reference forwards them anyway (equal up to the same rounding).
        float tolerance = 1e-5f * Math.Max(1f, expected.abs().max().item<float>());
        Assert.True(TestTensors.MaxAbsDiff(expected, r.Intermediate("ablation_scores")) < tolerance);
    }

    [Fact]
    public void SampledMethodsMatchTheReferenceOnResNet18WithTwoSamples()
    {
        using var scope = NewDisposeScope();
        var (net, layer, input, targets) = GoldenMapTests.Load("resnet18");
        var methods = new (string File, ICamMethod Cam)[]
        {
            ("smoothgradcampp_s2", new SmoothGradCamPlusPlus(net, layer, new SmoothGradCamPlusPlusOptions(Samples: 2))),
            ("sscam_s2", new SsCam(net, layer, new SsCamOptions(Samples: 2))),
            ("iscam_s2", new IsCam(net, layer, new IsCamOptions(Samples: 2))),
        };
        foreach (var (file, cam) in methods)
        {
            using (cam)
            using (var r = cam.Explain(input, targets))
            {
                // As GoldenMapTests' sampled methods: softmaxes of 512 averaged logit gains, or powers of noisy gradients.
                var raw = Golden("resnet18", file + "_raw");
                Assert.True(TestTensors.MaxAbsDiff(raw, r.RawMaps[0]) < 1e-3f * Math.Max(1f, raw.abs().max().item<float>()), file);
                Assert.True(TestTensors.MaxAbsDiff(Golden("resnet18", file), r.Maps) < 1e-3f, file);
            }
        }
    }

    [Fact]
    public void SeededNoiseIsDeterministicAndSeedDependent()
    {
        using var scope = NewDisposeScope();
        var model = new ConvGapLinear(channels: 6);
        var x = TestTensors.Batch(2, 16, 16);
        // Before the ReLU: there the gradient depends on the noisy input (after it, on this model, it is constant).
        CamLayer[] layer = { "features.conv" };
        foreach (var name in new[] { "smoothgradcam++", "sscam" })
        {
            using var a = CamMethods.Create(name, model, layer, new CamMethodSettings { BatchSize = 5, Seed = 3 });
            using var b = CamMethods.Create(name, model, layer, new CamMethodSettings { BatchSize = 7, Seed = 3 });
            using var c = CamMethods.Create(name, model, layer, new CamMethodSettings { BatchSize = 5, Seed = 4 });
            using var ra = a.Explain(x, new[] { 0, 1 });
            using var rb = b.Explain(x, new[] { 0, 1 });
            using var rc = c.Explain(x, new[] { 0, 1 });
            // Same seed, other batch size: the same noise, kernels round differently (1e-5); another seed moves raw maps.
            Assert.True(TestTensors.MaxAbsDiff(ra.RawMaps[0], rb.RawMaps[0]) < 1e-5f * ra.RawMaps[0].abs().max().item<float>(), name);
            Assert.True(TestTensors.MaxAbsDiff(ra.RawMaps[0], rc.RawMaps[0]) > 1e-3f * ra.RawMaps[0].abs().max().item<float>(), name);
        }
    }

    [Fact]
    public void FullGradUsesEveryBiasLayerAndIgnoresTheTargetLayer()
    {
        using var scope = NewDisposeScope();
        var shapes = ModelZoo.Create("shapesnet");
        DeterministicInit.FillModule(shapes);
        var logger = new ListLogger();
        using var cam = new FullGrad(shapes, new CamLayer[] { "block2" }, logger);
        Assert.Equal(new[] { "block1.0", "block1.1", "block2.0", "block2.1", "block3.0", "block3.1" }, cam.LayerNames);
        Assert.Contains(logger.Messages, m => m.Contains("block2") && m.Contains("ignored"));
        using var created = CamMethods.Create("fullgrad", shapes, new CamLayer[] { "block3" });
        var x = NpyFile.Read(RepoPaths.Golden("cam", "shapesnet_input.npy"));
        using var r = created.Explain(x, new[] { 1, 3 });
        // The final map is the min-max of the summed terms: the reference's sum, rescaled.
        var sum = Golden("shapesnet", "fullgrad_sum");
        Assert.True(TestTensors.MaxAbsDiff(CamKernels.NormalizePerImage(sum), r.Maps) < 1e-4f);
    }

    private static Tensor Golden(string model, string name) => NpyFile.Read(RepoPaths.Golden("cam", $"{model}_{name}.npy"));

    private sealed class DetachingNetWithoutLinear : nn.Module<Tensor, Tensor>
    {
        public readonly TorchSharp.Modules.Conv2d conv;

        public DetachingNetWithoutLinear() : base(nameof(DetachingNetWithoutLinear))
        {
            conv = nn.Conv2d(3, 4, 3, padding: 1);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => conv.call(x).mean(new long[] { 2, 3 });
    }
}
