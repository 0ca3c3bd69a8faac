using DecomCamNet.Clip.Models;
using DecomCamNet.Imaging;
using DecomCamNet.Tests.Support;
using TorchSharp.PyBridge;

namespace DecomCamNet.Tests.Cli;

/// <summary>
/// The command line with CLIP models: a small ResNet and a small ViT CLIP saved as OpenAI-layout state dicts
/// (<c>--model clip</c> infers the architecture), a full-size <c>clip-rn50</c> with random weights, prompts, and errors.
/// </summary>
public sealed class ClipCliTests : CliRun
{
    private string SmallClip(bool vit)
    {
        var config = vit
            ? new ClipConfig(32, 64, new[] { 2 }, 64, 16, 77, 49408, 64, 1, 1)
            : new ClipConfig(32, 128, new[] { 1, 1, 1, 1 }, 8, null, 77, 49408, 64, 1, 1);
        string path = P(vit ? "vit.safetensors" : "rn.safetensors");
        using var model = DeterministicInit.FillModule(new ClipModel(config));
        model.save_safetensors(path);
        return path;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void DecomCamExplainsTheZeroShotChoiceAndWritesTheOssmGrid(bool vit)
    {
        var (code, output, err) = Run("explain", "--model", "clip", "--weights", SmallClip(vit), "--method", "decomcam",
            "--prompt", "a photo of a cat", "--prompt", "a red car", "--overlay", P("o.png"), "--save-map", P("m.npy"));
        Assert.True(code == 0, err);
        Assert.Contains("prompt 0 \"a photo of a cat\": similarity", output);
        Assert.Contains("prompt 1 \"a red car\": similarity", output);
        Assert.Contains("zero-shot choice: prompt", output);
        int chosen = output.Contains("zero-shot choice: prompt 0") ? 0 : 1;
        string slug = chosen == 0 ? "a-photo-of-a-cat" : "a-red-car";
        Assert.True(File.Exists(P($"o_{slug}.png")), output);
        Assert.True(File.Exists(P($"o_{slug}_ossm.png")), output);
        using var map = NpyFile.Read(P("m.npy"));
        int side = vit ? 64 : 128;
        Assert.Equal(new long[] { 1, side, side }, map.shape);
        // Random weights: the map may be all zero (no OSSM blend beats the blurred image), but never outside [0,1] or NaN.
        Assert.True(map.max().item<float>() <= 1f && map.min().item<float>() >= 0f);
    }

    [Fact]
    public void AttentionMethodsTakeTheirSettingsOnTheVit()
    {
        string weights = SmallClip(true);
        float[] Map(params string[] extra)
        {
            var (code, output, err) = Run(new[] { "explain", "--model", "clip", "--weights", weights, "--prompt", "a cat",
                "--prompt", "a dog", "--save-map", P("m.npy") }.Concat(extra).ToArray());
            Assert.True(code == 0, err + output);
            using var map = NpyFile.Read(P("m.npy"));
            Assert.Equal(new long[] { 1, 64, 64 }, map.shape);
            return map.data<float>().ToArray();
        }
        static float MaxDiff(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max();
        var kept = Map("--method", "rollout", "--discard-ratio", "0");
        Assert.True(MaxDiff(kept, Map("--method", "rollout")) > 1e-3f); // the default discards 90%
        // This ViT has one head (width 64), so every fusion gives the same map; the goldens test the fusions.
        Assert.Equal(kept, Map("--method", "rollout", "--discard-ratio", "0", "--head-fusion", "max"));
        foreach (var method in new[] { "gradrollout", "chefer", "legrad" })
            Assert.True(Map("--method", method).All(v => v is >= 0f and <= 1f));
        var (badCode, _, badErr) = Run("explain", "--model", "clip", "--weights", weights, "--prompt", "a cat",
            "--method", "rollout", "--discard-ratio", "1", "--save-map", P("m.npy"));
        Assert.Equal(2, badCode);
        Assert.Contains("--discard-ratio", badErr);
        (badCode, _, badErr) = Run("explain", "--model", "clip", "--weights", weights, "--prompt", "a cat",
            "--method", "rollout", "--head-fusion", "median", "--save-map", P("m.npy"));
        Assert.Equal(2, badCode);
        Assert.Contains("--head-fusion", badErr);
    }

    [Fact]
    public void AllPromptsGiveOneMapPerPromptNamedAfterIt()
    {
        var (code, output, err) = Run("explain", "--model", "clip", "--weights", SmallClip(false), "--method", "gradcam",
            "--prompt", "a cat", "--prompt", "a dog", "--all-prompts", "--overlay", P("o.png"), "--save-map", P("m.npy"));
        Assert.True(code == 0, err);
        Assert.True(File.Exists(P("o_a-cat.png")) && File.Exists(P("o_a-dog.png")), output);
        using var map = NpyFile.Read(P("m.npy"));
        Assert.Equal(2, map.shape[0]);
        Assert.Contains("for prompt 1 (a dog)", output);
    }

    [Fact]
    public void FullSizeRn50RunsWithRandomWeightsAndAPromptsFile()
    {
        File.WriteAllLines(P("prompts.txt"), new[] { "a photo of a cat", "", "a photo of a dog" });
        var (code, output, err) = Run("explain", "--model", "clip-rn50", "--random-weights", "--method", "gradcam",
            "--prompts-file", P("prompts.txt"), "--target", "1", "--overlay", P("o.png"));
        Assert.True(code == 0, err);
        Assert.Contains("for prompt 1 (a photo of a dog)", output);
        Assert.True(File.Exists(P("o_a-photo-of-a-dog.png")), output);
    }

    [Theory]
    [InlineData("A CLIP model explains text prompts", "--model", "clip-rn50", "--random-weights")]
    [InlineData("need a CLIP model", "--model", "resnet18", "--random-weights", "--prompt", "a cat")]
    [InlineData("is not a prompt", "--model", "clip-rn50", "--random-weights", "--prompt", "a cat", "--target", "3")]
    [InlineData("Unknown CLIP model", "--model", "clip-rn18", "--random-weights", "--prompt", "a cat")]
    [InlineData("infers the architecture", "--model", "clip", "--prompt", "a cat")]
    [InlineData("Option --reshape", "--reshape", "deit")]
    public void ClipMistakesAreOneLineErrors(string expected, params string[] args)
    {
        var (code, _, err) = Run(args.Prepend("explain").Append("--overlay").Append(P("o.png")).ToArray());
        Assert.Equal(2, code);
        Assert.Contains(expected, err);
    }

    [Fact]
    public void ATooLongPromptNamesItsTokenCount()
    {
        string prompt = string.Join(" ", Enumerable.Repeat("cat", 80));
        var (code, _, err) = Run("explain", "--model", "clip-rn50", "--random-weights", "--prompt", prompt, "--overlay", P("o.png"));
        Assert.Equal(2, code);
        Assert.Contains("82 tokens", err);
    }
}
