using System.Text.Json;
using DecomCamNet.Clip.Models;
using DecomCamNet.Clip.Tokenizer;
using DecomCamNet.Imaging;
using DecomCamNet.Tests.Support;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Clip;

/// <summary>RN50 and ViT-B/32 at full size, filled with <see cref="DeterministicInit"/>, shared by the tests of a class.</summary>
public sealed class ClipModelsFixture : IDisposable
{
    public ClipModelsFixture()
    {
        Rn50 = Build("clip-rn50");
        VitB32 = Build("clip-vit-b32");
        using var json = JsonDocument.Parse(File.ReadAllText(RepoPaths.Golden("clip", "clip.json")));
        Tokens = json.RootElement.GetProperty("tokens").EnumerateArray()
            .Select(row => row.EnumerateArray().Select(e => e.GetInt64()).ToArray()).ToArray();
        Keys = json.RootElement.GetProperty("models").EnumerateObject().ToDictionary(
            m => m.Name,
            m => (IReadOnlyDictionary<string, long[]>)m.Value.GetProperty("keys").EnumerateObject()
                .ToDictionary(k => k.Name, k => k.Value.EnumerateArray().Select(d => d.GetInt64()).ToArray()));
    }

    public ClipModel Rn50 { get; }
    public ClipModel VitB32 { get; }

    /// <summary>The prompts' token ids, [3][77], as OpenAI's tokenizer made them (from clip.json).</summary>
    public long[][] Tokens { get; }

    /// <summary>OpenAI's state-dict keys and shapes per golden model ("rn50", "vitb32").</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, long[]>> Keys { get; }

    public ClipModel Model(string golden) => golden == "rn50" ? Rn50 : VitB32;

    public Tensor TokenTensor() => tensor(Tokens.SelectMany(r => r).ToArray(), new long[] { Tokens.Length, Tokens[0].Length });

    private static ClipModel Build(string name)
    {
        var model = ClipZoo.Create(name);
        DeterministicInit.FillModule(model);
        return model;
    }

    public void Dispose()
    {
        Rn50.Dispose();
        VitB32.Dispose();
    }
}

/// <summary>
/// Fidelity of <see cref="ClipModel"/> to OpenAI's <c>clip/model.py</c>: the goldens in Golden/clip were written by
/// reference/clip_reference.py with OpenAI's own CLIP class, filled with the same deterministic weights.
/// </summary>
public class ClipModelTests : IClassFixture<ClipModelsFixture>
{
    private static readonly long[] ImageShape = [2, 3, 224, 224];
    private readonly ClipModelsFixture _models;

    public ClipModelTests(ClipModelsFixture models) => _models = models;

    /// <summary>
    /// Tolerance 1e-4 relative to the golden's largest |value| (floor 1e-4 absolute): float32 results of the two
    /// libraries differ by rounding only (libtorch 2.10 with oneDNN and a fused scaled-dot-product attention here,
    /// PyTorch 1.13 with OpenBLAS and bmm + softmax there), and rounding errors grow with the magnitude of what is
    /// summed, so an absolute bound would have to change with the embedding's scale (the deterministic weights give
    /// embeddings far from unit size). clip.json records how far a float64 rerun moves the goldens.
    /// </summary>
    private static void AssertClose(Tensor golden, Tensor actual, string what)
    {
        Assert.Equal(golden.shape, actual.shape);
        Assert.True(actual.isfinite().all().item<bool>(), $"{what}: not finite");
        float scale = Math.Max(1f, golden.abs().max().item<float>());
        float diff = (golden - actual).abs().max().item<float>();
        Assert.True(diff <= 1e-4f * scale, $"{what}: max |diff| {diff:G4} > 1e-4 x {scale:G6}");
    }

    [Theory]
    [InlineData("rn50")]
    [InlineData("vitb32")]
    public void ImageEmbeddingMatchesOpenAI(string golden)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = DeterministicInit.Input(ImageShape);
        var expected = NpyFile.Read(RepoPaths.Golden("clip", golden + "_image.npy"));
        AssertClose(expected, _models.Model(golden).EncodeImage(x), golden + " image");
        AssertClose(expected, _models.Model(golden).call(x), golden + " forward");
    }

    [Theory]
    [InlineData("rn50")]
    [InlineData("vitb32")]
    public void TextEmbeddingMatchesOpenAI(string golden)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var expected = NpyFile.Read(RepoPaths.Golden("clip", golden + "_text.npy"));
        AssertClose(expected, _models.Model(golden).EncodeText(_models.TokenTensor()), golden + " text");
    }

    [Fact]
    public void GoldenTokensAreOpenAIsTokenizerOutput()
    {
        // The ids in clip.json came from OpenAI's tokenizer; ours must give the same for these plain prompts.
        using var scope = NewDisposeScope();
        var ours = ClipTokenizer.Default.Tokenize(["a photo of a cat", "a dog", ""]);
        Assert.Equal(_models.Tokens.SelectMany(r => r).ToArray(), ours.data<long>().ToArray());
    }

    [Theory]
    [InlineData("rn50")]
    [InlineData("vitb32")]
    public void StateDictKeysAndShapesEqualOpenAIs(string golden)
    {
        var expected = _models.Keys[golden];
        var actual = _models.Model(golden).state_dict();
        var missing = expected.Keys.Where(k => !actual.ContainsKey(k)).ToList();
        var extra = actual.Keys.Where(k => !expected.ContainsKey(k)).ToList();
        Assert.True(missing.Count == 0 && extra.Count == 0,
            $"{golden}: missing [{string.Join(", ", missing.Take(10))}], extra [{string.Join(", ", extra.Take(10))}]");
        foreach (var (key, t) in actual)
            Assert.True(expected[key].SequenceEqual(t.shape),
                $"{key}: OpenAI [{string.Join(",", expected[key])}], ours [{string.Join(",", t.shape)}]");
    }

    [Theory]
    [InlineData("clip-rn50", "visual.layer4")]
    [InlineData("clip-rn50", "visual.layer1.0.downsample.-1")]
    [InlineData("clip-rn50", "visual.attnpool.c_proj")]
    [InlineData("clip-vit-b32", "visual.transformer.resblocks.11.ln_1")]
    [InlineData("clip-vit-b32", "transformer.resblocks.0.mlp.gelu")]
    public void NamedModulesContainOpenAIsNames(string model, string layer)
    {
        var m = model == "clip-rn50" ? _models.Rn50 : _models.VitB32;
        Assert.Contains(layer, m.named_modules().Select(nm => nm.name));
    }

    [Fact]
    public void ConfigIsInferredBackFromTheModelsOwnStateDicts()
    {
        Assert.Equal(ClipZoo.Config("clip-rn50"), ClipConfig.FromStateDict(_models.Rn50.state_dict()));
        Assert.Equal(ClipZoo.Config("clip-vit-b32"), ClipConfig.FromStateDict(_models.VitB32.state_dict()));
        foreach (var name in ClipZoo.Names)
        {
            using var model = ClipZoo.Create(name, META); // structure and shapes only
            Assert.Equal(ClipZoo.Config(name), ClipConfig.FromStateDict(model.state_dict()));
        }
    }

    [Fact]
    public void FromStateDictRoundTripsEveryTensor()
    {
        var source = _models.VitB32.state_dict();
        using var copy = ClipModel.FromStateDict(source);
        Assert.Equal(_models.VitB32.Config, copy.Config);
        Assert.False(copy.training);
        using var scope = NewDisposeScope();
        foreach (var (key, t) in copy.state_dict())
            Assert.True(t.eq(source[key]).all().item<bool>(), key);
    }

    [Theory]
    [InlineData("visual.layer4.2.bn3.running_var")]
    [InlineData("transformer.resblocks.11.attn.out_proj.bias")]
    [InlineData("logit_scale")]
    public void AStateDictWithAMissingKeyThrowsNamingIt(string key)
    {
        var dict = new Dictionary<string, Tensor>(_models.Rn50.state_dict());
        Assert.True(dict.Remove(key));
        var error = Assert.ThrowsAny<ArgumentException>(() => ClipModel.FromStateDict(dict));
        Assert.Contains(key, error.Message);
    }

    [Theory]
    [InlineData("text_projection")]
    [InlineData("visual.attnpool.positional_embedding")]
    [InlineData("ln_final.weight")]
    public void ConfigInferenceNamesTheKeyItLacks(string key)
    {
        var dict = new Dictionary<string, Tensor>(_models.Rn50.state_dict());
        Assert.True(dict.Remove(key));
        var error = Assert.ThrowsAny<ArgumentException>(() => ClipConfig.FromStateDict(dict));
        Assert.Contains(key, error.Message);
    }

    [Fact]
    public void ANonClipStateDictIsRejectedNamingAKey()
    {
        using var resnet = DecomCamNet.Models.ModelZoo.Create("resnet18", device: META);
        var error = Assert.ThrowsAny<ArgumentException>(() => ClipConfig.FromStateDict(resnet.state_dict()));
        Assert.Contains("visual.layer1.0.conv1.weight", error.Message);
    }

    [Fact]
    public void AMisShapedTensorIsNamed()
    {
        var dict = new Dictionary<string, Tensor>(_models.Rn50.state_dict());
        using var wrong = zeros(64, 64, 1, 1);
        dict["visual.layer4.0.conv2.weight"] = wrong;
        var error = Assert.ThrowsAny<ArgumentException>(() => ClipModel.FromStateDict(dict));
        Assert.Contains("visual.layer4.0.conv2.weight", error.Message);
    }

    [Fact]
    public void AnUnexpectedKeyIsNamed()
    {
        var dict = new Dictionary<string, Tensor>(_models.VitB32.state_dict());
        using var stray = zeros(3);
        dict["visual.extra.weight"] = stray;
        var error = Assert.ThrowsAny<ArgumentException>(() => ClipModel.FromStateDict(dict));
        Assert.Contains("visual.extra.weight", error.Message);
    }

    [Theory]
    [InlineData("rn50")]
    [InlineData("vitb32")]
    public void ForwardsLeaveNoTensorBehindTheirScope(string golden)
    {
        var model = _models.Model(golden);
        using var x = DeterministicInit.Input(ImageShape);
        using var tokens = _models.TokenTensor();
        long before = TestTensors.LiveTensors;
        for (int i = 0; i < 2; i++)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            model.EncodeImage(x);
            model.EncodeText(tokens);
        }
        Assert.Equal(before, TestTensors.LiveTensors);
    }

    [Fact]
    public void GradCamRunsOnTheWholeModelThroughVisualLayer4()
    {
        // The model is a single-tensor module whose output is the image embedding: a CAM method hooks visual.layer4
        // by name and differentiates a custom score of the embedding.
        using var scope = NewDisposeScope();
        using var x = DeterministicInit.Input([1, 3, 224, 224]);
        using var cam = new GradCam(_models.Rn50, ClipZoo.DefaultLayer("clip-rn50"));
        using var result = cam.Explain(x, CamTarget.Custom(embedding => embedding.select(1, 0)));
        Assert.Equal(new long[] { 1, 224, 224 }, result.Maps.shape);
        Assert.True(result.Maps.isfinite().all().item<bool>());
        Assert.True(result.Maps.min().item<float>() >= 0 && result.Maps.max().item<float>() <= 1);
    }

    [Fact]
    public void ZooNamesConfigsAndLayers()
    {
        Assert.Equal(["clip-rn50", "clip-rn101", "clip-rn50x4", "clip-vit-b32", "clip-vit-b16"], ClipZoo.Names);
        Assert.Equal("visual.layer4", ClipZoo.DefaultLayer("CLIP-RN101"));
        Assert.Equal("visual.transformer.resblocks.11.ln_1", ClipZoo.DefaultLayer("clip-vit-b16"));
        Assert.True(ClipZoo.IsVit("clip-vit-b32"));
        Assert.False(ClipZoo.IsVit("clip-rn50x4"));
        Assert.Equal(288, ClipZoo.Config("clip-rn50x4").ImageResolution);
        Assert.Equal(40, ClipZoo.Config("clip-rn50x4").VisionHeads);
        Assert.Equal(12, ClipZoo.Config("clip-vit-b16").VisionHeads);
        var error = Assert.Throws<ArgumentException>(() => ClipZoo.Create("clip-vit-l14"));
        Assert.Contains("clip-vit-b16", error.Message);
    }

    [Fact]
    public void BadInputsAreRejectedBeforeNativeWork()
    {
        using var scope = NewDisposeScope();
        var model = _models.VitB32;
        Assert.Contains("224x224", Assert.Throws<ArgumentException>(() => model.EncodeImage(zeros(1, 3, 192, 192))).Message);
        Assert.Throws<ArgumentException>(() => model.EncodeImage(zeros(1, 1, 224, 224)));
        Assert.Throws<ArgumentException>(() => model.EncodeText(zeros(new long[] { 1, 76 }, ScalarType.Int64)));
        Assert.Throws<ArgumentException>(() => model.EncodeText(zeros(1, 77)));
        Assert.Contains("49408", Assert.Throws<ArgumentException>(
            () => model.EncodeText(full(new long[] { 1, 77 }, 49408L, ScalarType.Int64))).Message);
    }
}
