using DecomCamNet.Clip;
using DecomCamNet.Clip.Models;
using DecomCamNet.Imaging;
using DecomCamNet.Models;
using DecomCamNet.Tests.Support;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Methods;

/// <summary>
/// Attention rollout, gradient rollout and Chefer relevance: against reference/attention_reference.py on a tiny ViT
/// (vit-explain's formulas, rows renormalised), on attention whose answer is known, their invariants, and on CLIP's ViT
/// with prompts.
/// </summary>
public class AttentionMethodTests
{
    private static readonly int[] Targets = { 1, 3 };

    public static TheoryData<string> Methods => MethodFactory.Attention();

    public static TheoryData<string, string, AttentionHeadFusion, double> GoldenCases() => new()
    {
        { "rollout", "rollout_mean_0.9", AttentionHeadFusion.Mean, 0.9 },
        { "rollout", "rollout_max_0.5", AttentionHeadFusion.Max, 0.5 },
        { "rollout", "rollout_min_0", AttentionHeadFusion.Min, 0.0 },
        { "gradrollout", "gradrollout_0.9", AttentionHeadFusion.Mean, 0.9 },
        { "gradrollout", "gradrollout_0", AttentionHeadFusion.Mean, 0.0 },
        { "chefer", "chefer", AttentionHeadFusion.Mean, 0.9 },
        { "legrad", "legrad", AttentionHeadFusion.Mean, 0.9 },
    };

    [Fact]
    public void TheTinyVitIsThePythonOne()
    {
        using var scope = NewDisposeScope();
        using var model = new TinyVit();
        using var noGrad = no_grad();
        var logits = model.call(DeterministicInit.Input(new long[] { 2, 3, 16, 16 }));
        Assert.True(TestTensors.MaxAbsDiff(Golden("logits"), logits) < 1e-5f);
    }

    [Theory]
    [MemberData(nameof(GoldenCases))]
    public void RawMapsMatchTheReference(string method, string golden, AttentionHeadFusion fusion, double discard)
    {
        using var scope = NewDisposeScope();
        using var model = new TinyVit();
        using var cam = CamMethods.Create(method, model, Array.Empty<CamLayer>(), TinyVitSettings(new RolloutOptions(fusion, discard)));
        using var result = cam.Explain(DeterministicInit.Input(new long[] { 2, 3, 16, 16 }), Targets);
        var expected = Golden(golden);
        // LeGrad's map is the mean of its per-block maps; the others' is the last layer's relevance.
        var raw = method == "legrad" ? stack(result.RawMaps, 0).mean(new long[] { 0 }) : result.RawMaps[^1];
        // Relevances of order 0.01 to 0.1 after two layers of 17x17 products in float32; a wrong fusion, discard, row
        // normalisation or block score moves them by more than 1e-3.
        Assert.True(TestTensors.MaxAbsDiff(expected, raw) < 1e-5f, $"{golden}: {TestTensors.MaxAbsDiff(expected, raw)}");
        Assert.Equal(new[] { "blocks.0.attn.attn_probs", "blocks.1.attn.attn_probs" }, result.LayerNames);
        Assert.Equal(new long[] { 2, 16, 16 }, result.Maps.shape);
    }

    [Fact]
    public void DiscardingChangesTheRolloutAndFusionsDiffer()
    {
        using var scope = NewDisposeScope();
        Assert.True(TestTensors.MaxAbsDiff(Golden("rollout_mean_0.9"), Golden("rollout_min_0")) > 1e-3f);
        Assert.True(TestTensors.MaxAbsDiff(Golden("gradrollout_0.9"), Golden("gradrollout_0")) > 1e-4f);
    }

    [Theory]
    [InlineData("rollout")]
    [InlineData("gradrollout")]
    [InlineData("chefer")]
    public void IdentityAttentionLeavesTheClassTokenAloneAndGivesAZeroMap(string method)
    {
        using var scope = NewDisposeScope();
        using var model = new FixedAttentionNet(uniform: false);
        using var cam = CamMethods.Create(method, model, Array.Empty<CamLayer>(), new CamMethodSettings { Rollout = new RolloutOptions(DiscardRatio: 0) });
        using var result = cam.Explain(TestTensors.Batch(2, 16, 16), 0);
        Assert.Equal(0f, result.RawMaps[^1].abs().max().item<float>());
        Assert.Equal(0f, result.Maps.abs().max().item<float>());
    }

    [Fact]
    public void UniformAttentionGivesAUniformRollout()
    {
        using var scope = NewDisposeScope();
        using var model = new FixedAttentionNet(uniform: true);
        using var cam = new AttentionRollout(model, new RolloutOptions(DiscardRatio: 0));
        using var result = cam.Explain(TestTensors.Batch(1, 16, 16), 0);
        var raw = result.RawMaps[^1];
        // a = (U + I)/2 twice, from I: the class row over the patches is 1/4 · 1/17 + ... per patch, all equal.
        Assert.True((raw.max() - raw.min()).item<float>() < 1e-7f);
        // One layer: the class token's row of (U + I)/2 over a patch is 1/(2·17).
        Assert.True(Math.Abs(result.RawMaps[0][0, 0, 0].item<float>() - 1f / 34) < 1e-7f);
        Assert.True(raw[0, 0, 0].item<float>() > 1f / 34);
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void EachMethodRunsOnTheZooVit(string method)
    {
        manual_seed(4);
        using var model = new DecomCamNet.Models.VisionTransformer(new VisionTransformerConfig(ImageSize: 32, PatchSize: 8, Layers: 2, Heads: 2, HiddenDim: 16, MlpDim: 32, NumClasses: 4));
        model.eval();
        using var x = TestTensors.Batch(2, 32, 32);
        using var cam = CamMethods.Create(method, model, Array.Empty<CamLayer>(), new CamMethodSettings { Rollout = new RolloutOptions(DiscardRatio: 0) });
        using var scope = NewDisposeScope();
        using var r = cam.Explain(x, 1);
        Assert.Equal(new long[] { 2, 32, 32 }, r.Maps.shape);
        Assert.Equal(0, isnan(r.Maps).sum().item<long>());
        Assert.True(r.Maps.max().item<float>() > 0.5f, $"{method}: an empty map");
        Assert.Equal(["encoder.layers.encoder_layer_0", "encoder.layers.encoder_layer_1"], model.TokenBlocks);
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void ShapeRangeHooksAndLifetime(string method)
    {
        using var model = new TinyVit();
        using var x = TestTensors.Batch(2, 16, 16);
        var cam = CamMethods.Create(method, model, new CamLayer[] { "head" }, TinyVitSettings(new RolloutOptions()));
        using (var scope = NewDisposeScope())
        using (var r = cam.Explain(x, Targets))
        {
            Assert.Equal(new long[] { 2, 16, 16 }, r.Maps.shape);
            Assert.Equal(0, isnan(r.Maps).sum().item<long>());
            Assert.True(r.Maps.min().item<float>() >= 0f && r.Maps.max().item<float>() <= 1f);
            Assert.True(r.Maps[0].max().item<float>() > 0.5f); // 1 on the grid; bilinear resizing lowers the peak
            Assert.Equal(method, r.Method);
        }
        long before = TestTensors.LiveTensors;
        for (int i = 0; i < 5; i++)
        {
            using var r = cam.Explain(x, Targets);
            Assert.Equal(new long[] { 2, 16, 16 }, r.Maps.shape);
        }
        Assert.Equal(before, TestTensors.LiveTensors);
        Assert.True(AttentionHooks(model) > 0);
        cam.Dispose();
        Assert.Equal(0, AttentionHooks(model));
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void SwinWindowAttentionIsRefusedNamingWhy(string method)
    {
        manual_seed(5);
        using var model = new SwinTransformer(new SwinConfig(4, 8, [2, 2], [2, 2], 4, NumClasses: 10));
        model.eval();
        using var x = TestTensors.Batch(1, 56, 56);
        if (method == "legrad") // refused before any hook: a Swin is no ITokenClassifier (its blocks have no class token)
        {
            Assert.Contains("ITokenClassifier", Assert.Throws<ArgumentException>(() => CamMethods.Create(method, model, Array.Empty<CamLayer>())).Message);
            Assert.Equal(0, AttentionHooks(model));
            return;
        }
        using var cam = CamMethods.Create(method, model, Array.Empty<CamLayer>());
        long before = TestTensors.LiveTensors;
        var e = Assert.Throws<CamException>(() => cam.Explain(x, 1).Dispose());
        Assert.IsNotType<NotAFeatureMapException>(e); // no reshape hint: no reshape makes windows global attention
        Assert.Contains("window attention", e.Message);
        var windows = System.Text.RegularExpressions.Regex.Match(e.Message, @"\[(\d+),2,(\d+),\2\]"); // [windows, 2 heads, T, T]
        Assert.True(windows.Success && long.Parse(windows.Groups[1].Value) > 1, e.Message);
        Assert.Equal(before, TestTensors.LiveTensors);
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void ACnnIsRefusedWithTheConvention(string method)
    {
        using var model = new ConvGapLinear();
        var e = Assert.Throws<ArgumentException>(() => CamMethods.Create(method, model, new CamLayer[] { "features" }));
        Assert.Contains("attn_probs", e.Message);
        Assert.Equal(0, AttentionHooks(model));
    }

    [Fact]
    public void LeGradNeedsTheHeadOrATokenClassifier()
    {
        using var model = new TinyVit();
        var e = Assert.Throws<ArgumentException>(() => new LeGrad(model));
        Assert.Contains(nameof(ITokenClassifier), e.Message);
        Assert.Throws<ArgumentException>(() => new LeGrad(model, new LeGradOptions("ln", "nohead")));
        Assert.Throws<ArgumentException>(() => new LeGrad(model, new LeGradOptions("ln", "head", new[] { "blocks.0" })));
        Assert.Equal(0, AttentionHooks(model));
        // The blocks are inferred two levels above attn_probs; naming them gives the same map.
        using var x = TestTensors.Batch(1, 16, 16);
        using var inferred = new LeGrad(model, new LeGradOptions("ln", "head"));
        using var named = new LeGrad(model, new LeGradOptions("ln", "head", new[] { "blocks.0", "blocks.1" }));
        using var a = inferred.Explain(x, 2);
        using var b = named.Explain(x, 2);
        Assert.Equal(0f, TestTensors.MaxAbsDiff(a.Maps, b.Maps));
    }

    [Fact]
    public void OptionsOutOfRangeAreRefusedBeforeAnyHook()
    {
        using var model = new TinyVit();
        Assert.Throws<ArgumentOutOfRangeException>(() => new AttentionRollout(model, new RolloutOptions(DiscardRatio: 1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GradientRollout(model, new RolloutOptions(PrefixTokens: 0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CheferRelevance(model, new RolloutOptions(GridHeight: 4)));
        Assert.Equal(0, AttentionHooks(model));
    }

    [Fact]
    public void AGridThatTheTokensDoNotFillIsNamed()
    {
        using var model = new TinyVit();
        using var cam = new AttentionRollout(model, new RolloutOptions(GridHeight: 3, GridWidth: 5));
        var e = Assert.Throws<CamException>(() => cam.Explain(TestTensors.Batch(1, 16, 16)));
        Assert.Contains("3x5", e.Message);
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void ClipVitRunsEachMethodWithAPrompt(string method)
    {
        using var scope = NewDisposeScope();
        var config = new ClipConfig(32, 64, new[] { 2 }, 64, 16, 77, 49408, 32, 2, 1);
        using var clip = DeterministicInit.FillModule(new ClipModel(config));
        clip.eval();
        using var prompts = new ClipPrompts(clip, new[] { "a photo of a cat", "a red car" });
        int side = config.ImageResolution;
        var x = DeterministicInit.Input(new long[] { 2, 3, side, side });
        using var cam = CamMethods.Create(method, clip, Array.Empty<CamLayer>());
        using var result = cam.Explain(x, prompts.ZeroShot);
        Assert.Equal(new[] { "visual.transformer.resblocks.0.attn.attn_probs", "visual.transformer.resblocks.1.attn.attn_probs" }, result.LayerNames);
        Assert.Equal(new long[] { 2, 4, 4 }, result.RawMaps[^1].shape); // 64 / 16 = a 4x4 grid
        Assert.Equal(new long[] { 2, side, side }, result.Maps.shape);
        Assert.Equal(0, isnan(result.Maps).sum().item<long>());
        Assert.True(result.RawMaps[^1].sum().item<float>() > 0f);
    }

    /// <summary>The settings for the tiny ViT: its final norm and head for LeGrad.</summary>
    private static CamMethodSettings TinyVitSettings(RolloutOptions rollout) =>
        new() { Rollout = rollout, LeGrad = new LeGradOptions("ln", "head") };

    /// <summary>The forward hooks on the model's attention probabilities (its ModuleList keeps no hook dictionary).</summary>
    private static int AttentionHooks(nn.Module model) =>
        model.named_modules().Where(m => m.module is AttentionProbabilities).Sum(m => TestTensors.ForwardHookCount(m.module));

    [Fact]
    public void ShapleyCamOnClipVitTakesTheExactDoubleBackward()
    {
        // CLIP's image attention is written out (softmax, attn_probs, matmul), so it has a double backward: no fallback.
        using var scope = NewDisposeScope();
        var config = new ClipConfig(32, 64, new[] { 2 }, 64, 16, 77, 49408, 32, 2, 1);
        using var clip = DeterministicInit.FillModule(new ClipModel(config));
        clip.eval();
        using var prompts = new ClipPrompts(clip, new[] { "a photo of a cat", "a red car" });
        var log = new ListLogger();
        CamLayer layer = ((CamLayer)"visual.transformer.resblocks.1.ln_1").WithReshape(ActivationReshape.VitSequenceFirst);
        using var cam = new ShapleyCam(clip, layer, log);
        using var result = cam.Explain(DeterministicInit.Input(new long[] { 1, 3, 64, 64 }), prompts.ZeroShot);
        Assert.DoesNotContain(log.Messages, m => m.StartsWith("ShapleyCAM"));
        Assert.Equal(0, isnan(result.Maps).sum().item<long>());
    }

    private static Tensor Golden(string name) => NpyFile.Read(RepoPaths.Golden("attention", $"tinyvit_{name}.npy"));

    /// <summary>
    /// Two layers of fixed attention over a 4x4 grid and a class token: uniform (1/17 everywhere) or the identity, through
    /// <c>attn_probs</c>, made to depend on the input (plus 0·logits) so that gradients reach them.
    /// </summary>
    private sealed class FixedAttentionNet : nn.Module<Tensor, Tensor>
    {
        private readonly Conv2d patch = nn.Conv2d(3, 4, 4, stride: 4);
        private readonly AttentionProbabilities attn_probs_0 = new();
        private readonly AttentionProbabilities attn_probs_1 = new();
        private readonly Linear head = nn.Linear(4, 3);
        private readonly bool _uniform;

        public FixedAttentionNet(bool uniform) : base(nameof(FixedAttentionNet))
        {
            _uniform = uniform;
            manual_seed(5);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            var grid = patch.call(x).flatten(2).transpose(1, 2);
            var tokens = cat(new[] { grid.mean(new long[] { 1 }, keepdim: true), grid }, 1); // [N,17,4]
            foreach (var probs in new[] { attn_probs_0, attn_probs_1 })
            {
                var logits = tokens.matmul(tokens.transpose(1, 2)).unsqueeze(1).expand(-1, 2, -1, -1).mul(0);
                var fixedProbs = _uniform ? logits.softmax(-1) : logits.add(eye(17), 1);
                tokens = tokens.add(probs.call(fixedProbs).mean(new long[] { 1 }).matmul(tokens), 1);
            }
            return head.call(tokens.select(1, 0));
        }
    }
}
