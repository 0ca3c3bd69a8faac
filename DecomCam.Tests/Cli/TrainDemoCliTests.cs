using System.Text.Json;
using DecomCamNet.Evaluation.Scenes;
using DecomCamNet.Models;
using DecomCamNet.Tests.Support;

namespace DecomCamNet.Tests.Cli;

/// <summary><c>decomcam train-demo</c> on a few steps: the weights load into SceneNet (or, <c>--arch vit</c>, the scene
/// ViT), the labels and the report are written.</summary>
public sealed class TrainDemoCliTests : CliRun
{
    [Fact]
    public void TrainDemoWritesWeightsLabelsAndReport()
    {
        var (code, output, err) = Run("train-demo", "--seed", "3", "--steps", "2", "--batch-size", "4", "--held-out", "5", "--out", P("d.safetensors"));
        Assert.True(code == 0, err);
        Assert.Contains("held-out (5 scenes) top-class accuracy", output);
        using var model = new SceneNet();
        var load = StateDictLoader.Load(model, P("d.safetensors"));
        Assert.Empty(load.MissingKeys);
        Assert.Equal(SceneShapes.Classes, File.ReadAllLines(P("d.labels.txt")));
        using var report = JsonDocument.Parse(File.ReadAllText(P("d.json")));
        Assert.Equal("decomcam train-demo --arch scenenet --seed 3 --steps 2 --batch-size 4 --lr 0.002 --device cpu", report.RootElement.GetProperty("command").GetString());
        Assert.Equal(5, report.RootElement.GetProperty("held_out").GetProperty("Scenes").GetInt32());
    }

    [Fact]
    public void TrainDemoArchVitWritesTheSceneVitWithItsDefaults()
    {
        var (code, output, err) = Run("train-demo", "--arch", "vit", "--steps", "2", "--held-out", "3", "--out", P("v.safetensors"));
        Assert.True(code == 0, err);
        Assert.Contains("trained scenevit in", output);
        using var model = ModelZoo.Create("scenevit");
        var load = StateDictLoader.Load(model, P("v.safetensors"));
        Assert.Empty(load.MissingKeys);
        Assert.Empty(load.UnexpectedKeys);
        using var report = JsonDocument.Parse(File.ReadAllText(P("v.json")));
        Assert.Equal("decomcam train-demo --arch vit --seed 1 --steps 2 --batch-size 16 --lr 0.001 --device cpu", report.RootElement.GetProperty("command").GetString());
    }

    [Theory]
    [InlineData("--arch takes 'scenenet' or 'vit'; got 'resnet'", "--arch", "resnet")]
    [InlineData("--out must name a .safetensors file", "--out", "weights.pth")]
    [InlineData("needs an integer >= 1", "--steps", "0")]
    [InlineData("Unknown device 'tpu'", "--device", "tpu", "--steps", "1")]
    public void TrainDemoMistakesAreOneLineErrors(string expected, params string[] args)
    {
        var (code, _, err) = Run(args.Prepend("train-demo").ToArray());
        Assert.Equal(2, code);
        Assert.Contains(expected, err);
        Assert.Single(err.Trim().Split('\n'), l => l.StartsWith("error:", StringComparison.Ordinal));
    }
}
