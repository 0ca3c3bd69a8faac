using DecomCamNet.Imaging;
using DecomCamNet.Models;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Models;

/// <summary>
/// The zoo's ViT and Swin against torchvision 0.14 (reduced configurations with seeded weights, written by
/// reference/vit_reference.py): logits from torchvision- and Hugging Face-named checkpoints, Grad-CAM through the default
/// reshape, and the attention probabilities that <c>attn_probs</c> exposes.
/// </summary>
public class VisionTransformerTests
{
    private static readonly SwinConfig TinySwin = new(4, 8, [2, 2], [2, 2], 4, NumClasses: 10);

    private static string File(string name) => Path.Combine(AppContext.BaseDirectory, "Golden", "vit", name);

    private static Tensor Npy(string name) => NpyFile.Read(File(name));

    private static void AssertLogits(nn.Module<Tensor, Tensor> model, string input, string logits)
    {
        using var noGrad = no_grad();
        var actual = model.call(Npy(input));
        var expected = Npy(logits);
        Assert.Equal(expected.shape, actual.shape);
        double worst = actual.sub(expected).abs().max().item<float>();
        Assert.True(worst <= 1e-4, $"max |logit difference| {worst:G4} exceeds 1e-4");
    }

    [Fact]
    public void TorchvisionVitCheckpointGivesTorchvisionLogits()
    {
        using var scope = NewDisposeScope();
        using var model = VitLoader.LoadTorchvision(File("vit_torchvision.safetensors"), heads: 2);
        Assert.Equal(new VisionTransformerConfig(32, 8, 2, 2, 16, 32, 10), model.Config);
        AssertLogits(model, "vit_input.npy", "vit_logits.npy");
    }

    [Fact]
    public void HuggingFaceVitCheckpointGivesTheSameLogits()
    {
        using var scope = NewDisposeScope();
        using var model = VitLoader.LoadHuggingFace(File("vit_hf.safetensors"), heads: 2);
        Assert.Equal(new VisionTransformerConfig(32, 8, 2, 2, 16, 32, 10, 1e-12), model.Config);
        AssertLogits(model, "vit_input.npy", "vit_logits.npy");
    }

    [Fact]
    public void HuggingFaceDeitPrefixAndPoolerLoadDistilledAndUnknownKeysAreRefused()
    {
        using var scope = NewDisposeScope();
        var dir = Directory.CreateTempSubdirectory("decomcam-vit-").FullName;
        try
        {
            var hf = StateDictLoader.Read(File("vit_hf.safetensors"));
            string Write(string name, Dictionary<string, Tensor> sd)
            {
                var path = Path.Combine(dir, name);
                Safetensors.SaveStateDict(path, sd);
                return path;
            }

            var deit = hf.ToDictionary(e => e.Key.StartsWith("vit.", StringComparison.Ordinal) ? "deit." + e.Key[4..] : e.Key, e => e.Value);
            deit["deit.pooler.dense.weight"] = ones(16, 16);
            using (var model = VitLoader.LoadHuggingFace(Write("deit.safetensors", deit), heads: 2))
                AssertLogits(model, "vit_input.npy", "vit_logits.npy");

            var distilled = new Dictionary<string, Tensor>(hf) { ["vit.embeddings.distillation_token"] = zeros(1, 1, 16) };
            var e = Assert.Throws<ArgumentException>(() => VitLoader.LoadHuggingFace(Write("distilled.safetensors", distilled), heads: 2));
            Assert.Contains("distilled DeiT", e.Message);

            var extra = new Dictionary<string, Tensor>(hf) { ["vit.encoder.layer.0.attention.extra.weight"] = ones(2) };
            e = Assert.Throws<ArgumentException>(() => VitLoader.LoadHuggingFace(Write("extra.safetensors", extra), heads: 2));
            Assert.Contains("vit.encoder.layer.0.attention.extra.weight", e.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void HeadsDefaultToWidthOver64AndMustDivideTheWidth()
    {
        // Width 16 cannot be split into heads of 64: the message asks for the count.
        var e = Assert.Throws<ArgumentException>(() => VitLoader.LoadTorchvision(File("vit_torchvision.safetensors")));
        Assert.Contains("give the number of heads", e.Message);
        Assert.Throws<ArgumentException>(() => VitLoader.LoadHuggingFace(File("vit_torchvision.safetensors"), heads: 2));
    }

    [Fact]
    public void TorchvisionSwinCheckpointGivesTorchvisionLogits()
    {
        using var scope = NewDisposeScope();
        using var model = new SwinTransformer(TinySwin);
        var loaded = StateDictLoader.Load(model, File("swin.pth"));
        Assert.Empty(loaded.MissingKeys);
        model.eval();
        AssertLogits(model, "swin_input.npy", "swin_logits.npy");
    }

    [Fact]
    public void GradCamOnTheDefaultLayersGivesInputSizedMaps()
    {
        using var scope = NewDisposeScope();
        using var vit = VitLoader.LoadTorchvision(File("vit_torchvision.safetensors"), heads: 2);
        var vitLayer = ((CamLayer)"encoder.layers.encoder_layer_1.ln_1").WithReshape(ModelZoo.DefaultReshape("vit-b-16"));
        using (var cam = new GradCam(vit, vitLayer))
        {
            var maps = cam.Explain(Npy("vit_input.npy"), 3).Maps;
            Assert.Equal(new long[] { 2, 32, 32 }, maps.shape);
            AssertNonTrivialMap(maps);
        }

        using var swin = new SwinTransformer(TinySwin);
        StateDictLoader.Load(swin, File("swin.pth"));
        swin.eval();
        Assert.Equal("features.3", TinySwin.LastStage);
        var swinLayer = ((CamLayer)TinySwin.LastStage).WithReshape(ModelZoo.DefaultReshape("swin-t"));
        using (var cam = new GradCam(swin, swinLayer))
        {
            var maps = cam.Explain(Npy("swin_input.npy"), 3).Maps;
            Assert.Equal(new long[] { 1, 56, 56 }, maps.shape);
            AssertNonTrivialMap(maps);
        }
    }

    private static void AssertNonTrivialMap(Tensor maps)
    {
        float max = maps.max().item<float>(), min = maps.min().item<float>();
        Assert.True(min >= 0f && max <= 1f + 1e-6f && max > 0f, $"the map spans [{min}, {max}]: not a non-zero map in [0, 1]");
    }

    [Theory]
    [InlineData("vit", "encoder.layers.encoder_layer_0.self_attention.attn_probs", new long[] { 2, 2, 17, 17 })]
    [InlineData("swin", "features.1.1.attn.attn_probs", new long[] { 16, 2, 16, 16 })] // 14x14 tokens padded to 4x4 windows of 4x4
    [InlineData("swin", "features.3.1.attn.attn_probs", new long[] { 4, 2, 16, 16 })]  // 7x7 padded to 2x2 windows
    public void AttentionProbabilitiesAreHookableRowStochasticAndCarryGradients(string kind, string layer, long[] shape)
    {
        using var scope = NewDisposeScope();
        nn.Module<Tensor, Tensor> model = kind == "vit"
            ? VitLoader.LoadTorchvision(File("vit_torchvision.safetensors"), heads: 2)
            : new SwinTransformer(TinySwin);
        if (kind == "swin")
        {
            StateDictLoader.Load(model, File("swin.pth"));
            model.eval();
        }
        var probs = (nn.Module<Tensor, Tensor>)model.named_modules().Single(m => m.name == layer).module;
        Tensor? recorded = null;
        var remover = probs.register_forward_hook((_, _, output) => { recorded = output; return output; });
        var logits = model.call(Npy($"{kind}_input.npy"));
        remover.remove();

        Assert.NotNull(recorded);
        Assert.Equal(shape, recorded!.shape);
        Assert.True(recorded.min().item<float>() >= 0f);
        double rowError = recorded.sum(-1).sub(ones(shape[..^1])).abs().max().item<float>();
        Assert.True(rowError < 1e-5, $"rows sum to 1 within {rowError:G3}");
        var gradient = autograd.grad([logits[0, 3]], [recorded])[0];
        Assert.True(gradient.abs().max().item<float>() > 1e-6, "the score's gradient reaches the probabilities");
        model.Dispose();
    }

    [Fact]
    public void SecondDerivativesFlowThroughTheAttention()
    {
        using var scope = NewDisposeScope();
        using var model = VitLoader.LoadTorchvision(File("vit_torchvision.safetensors"), heads: 2);
        var norm = (nn.Module<Tensor, Tensor>)model.named_modules().Single(m => m.name == "encoder.layers.encoder_layer_0.ln_1").module;
        Tensor? activation = null;
        var remover = norm.register_forward_hook((_, _, output) => { activation = output; return output; });
        var logits = model.call(Npy("vit_input.npy"));
        remover.remove();
        var gradient = autograd.grad([logits[0, 3]], [activation!], retain_graph: true, create_graph: true)[0];
        var curvature = autograd.grad([gradient.square().sum()], [activation!])[0];
        Assert.True(curvature.abs().max().item<float>() > 1e-6, "a non-zero second derivative through softmax(QK^T)");
    }
}
