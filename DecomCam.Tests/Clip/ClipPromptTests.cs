using DecomCamNet.Clip;
using DecomCamNet.Clip.Models;
using DecomCamNet.Clip.Tokenizer;
using DecomCamNet.Imaging;
using DecomCamNet.Tests.Support;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Clip;

/// <summary>Prompt targets, every method on CLIP, and CLIP's preprocessing preset.</summary>
public class ClipPromptTests
{
    private static readonly string[] Prompts = { "a photo of a cat", "a dog on the grass", "a red car" };

    private static ClipModel SmallResNetClip()
    {
        var clip = DeterministicInit.FillModule(new ClipModel(new ClipConfig(32, 64, new[] { 1, 1, 1, 1 }, 8, null, 77, 49408, 64, 1, 1)));
        clip.eval();
        return clip;
    }

    [Fact]
    public void ScoresAreCosineSimilaritiesAndTheZeroShotChoiceIsTheBestPrompt()
    {
        using var scope = NewDisposeScope();
        using var clip = SmallResNetClip();
        using var prompts = new ClipPrompts(clip, Prompts);
        var x = DeterministicInit.Input(new long[] { 2, 3, 64, 64 });
        using var noGrad = no_grad();
        var image = clip.call(x);
        var text = clip.EncodeText(ClipTokenizer.Default.Tokenize(Prompts));
        var expected = nn.functional.cosine_similarity(image.unsqueeze(1), text.unsqueeze(0), dim: 2); // [2,3]
        Assert.True(TestTensors.MaxAbsDiff(expected, prompts.Scores(image)) < 1e-6f);
        Assert.True(TestTensors.MaxAbsDiff(expected, prompts.Similarities(image)) < 1e-6f);
        var probabilities = prompts.Probabilities(image);
        Assert.True(TestTensors.MaxAbsDiff(probabilities, (expected * clip.LogitScale.exp()).softmax(1)) < 1e-6f);
        using var logit = new ClipPrompts(clip, Prompts, ClipScore.Logit);
        Assert.True(TestTensors.MaxAbsDiff(expected * clip.LogitScale.exp(), logit.Scores(image)) < 1e-4f);
        using var official = new ClipPrompts(clip, Prompts, ClipScore.OfficialDot);
        Assert.True(TestTensors.MaxAbsDiff(image.matmul(text.t()) * clip.LogitScale, official.Scores(image)) < 1e-4f);
    }

    /// <summary>Every method that takes custom targets: not CAM, Finer-CAM and DFF (class targets of the model's own
    /// output); SS-CAM and IS-CAM (35 and 10 forwards per channel and row: minutes here) share Score-CAM's path, which
    /// runs. ShapleyCAM takes its Hessian term by finite differences (CLIP's attention has no double backward).</summary>
    public static TheoryData<string> PromptMethods => MethodFactory.AllBut("cam", "sscam", "iscam", "finercam", "dff");

    [Theory]
    [MemberData(nameof(PromptMethods))]
    public void EveryMethodExplainsEveryPromptOfEveryImage(string method)
    {
        using var scope = NewDisposeScope();
        using var clip = SmallResNetClip();
        using var prompts = new ClipPrompts(clip, Prompts);
        var x = DeterministicInit.Input(new long[] { 2, 3, 64, 64 });
        using var cam = MethodFactory.Create(method, clip, "visual.layer4");
        using var all = cam.Explain(x, prompts.AllPrompts(2));
        Assert.Equal(new long[] { 6, 64, 64 }, all.Maps.shape);
        Assert.Equal(new long[] { 0, 1, 2, 0, 1, 2 }, all.Classes!.data<long>().ToArray());
        Assert.False(all.Maps.isnan().any().item<bool>());
        Assert.True(all.Maps.min().item<float>() >= 0f && all.Maps.max().item<float>() <= 1f);
        if (MethodFactory.SeededByPosition.Contains(method)) return; // row 5 alone is row 0: other random draws
        using var one = cam.Explain(x[1..2], prompts.Prompt(2));
        // The same row alone: batch size changes kernels (see TargetTests), a wrong prompt differs by far more. ShapleyCAM's
        // finite differences magnify that rounding by 1/2ε = 50 (measured 3.8e-4 here).
        Assert.True(TestTensors.MaxAbsDiff(all.Maps[5], one.Maps[0]) < (method == "shapleycam" ? 2e-3f : 1e-4f), method);
    }

    [Fact]
    public void BadPromptsAreNamed()
    {
        using var clip = SmallResNetClip();
        Assert.Throws<ArgumentException>(() => new ClipPrompts(clip, Array.Empty<string>()));
        using var prompts = new ClipPrompts(clip, Prompts);
        Assert.Throws<ArgumentOutOfRangeException>(() => prompts.Prompt(3));
        using var scope = NewDisposeScope();
        var e = Assert.Throws<CamException>(() => prompts.Scores(zeros(1, 7)));
        Assert.Contains("[N,32]", e.Message);
    }

    [Fact]
    public void PreprocessingIsClipsBicubicResizeCropAndStatistics()
    {
        var preset = ClipPreprocessing.For(288);
        Assert.Equal((288, 288, ResizeFilter.Bicubic), (preset.Resize!.Value, preset.CenterCrop!.Value, preset.Filter));
        Assert.Equal(0.48145466f, preset.Mean[0]);
        Assert.Equal(0.27577711f, preset.Std[2]);
        Assert.NotEqual(preset, preset with { Filter = ResizeFilter.Bilinear });
        using var scope = NewDisposeScope();
        string sample = Path.Combine(RepoPaths.Root, "DecomCam.Cli", "assets", "sample.png");
        var bicubic = ImageLoader.Load(sample, preset);
        var bilinear = ImageLoader.Load(sample, preset with { Filter = ResizeFilter.Bilinear });
        Assert.Equal(new long[] { 1, 3, 288, 288 }, bicubic.shape);
        Assert.True(TestTensors.MaxAbsDiff(bicubic, bilinear) > 1e-3f); // the filter is really used
    }
}
