using DecomCamNet.Imaging;
using DecomCamNet.Models;
using DecomCamNet.Tests.Support;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Cli;

/// <summary><c>--score</c>, <c>--sum-targets</c>, <c>--similar-to</c> and <c>--segment-class</c> against the API.</summary>
public sealed class TargetCliTests : CliRun
{
    private static string Sample => Path.Combine(AppContext.BaseDirectory, "assets", "sample.png");

    private static Tensor ApiMap(CamTarget target)
    {
        var input = ImageLoader.Load(Sample, ImagePreprocessing.None);
        using var model = ModelZoo.Create("scenenet");
        StateDictLoader.Load(model, Path.Combine(AppContext.BaseDirectory, "assets", "scenenet.safetensors"));
        using var cam = new GradCam(model, "block4");
        using var result = cam.Explain(input, target);
        return result.Maps.clone();
    }

    [Theory]
    [InlineData("softmax", "for class 5 (ring), score 0.99")]
    [InlineData("sigmoid", "for class 5 (ring), score 1.0000")]
    public void ScoreReadsTheProbability(string score, string expected)
    {
        var (code, output, err) = Run("explain", "--score", score, "--save-map", P("m.npy"));
        Assert.True(code == 0, err);
        Assert.Contains(expected, output);
        using var scope = NewDisposeScope();
        var api = ApiMap(score == "softmax" ? CamTarget.Softmax() : CamTarget.Sigmoid());
        // A saturated softmax (0.996) leaves gradients of 1e-3 whose min-max normalisation magnifies rounding: the
        // convolutions may run with or without oneDNN while another test thread is in a backward pass. A map of the
        // wrong score (the logit's) differs by 0.12.
        Assert.True(TestTensors.MaxAbsDiff(NpyFile.Read(P("m.npy")), api) < 1e-3f);
    }

    [Fact]
    public void SumTargetsGivesOneMapForTheSum()
    {
        var (code, output, err) = Run("explain", "--target", "4,5", "--sum-targets", "--save-map", P("m.npy"));
        Assert.True(code == 0, err);
        Assert.Contains("for sum of classes [4,5], score 16.50", output);
        using var scope = NewDisposeScope();
        Assert.True(TestTensors.MaxAbsDiff(NpyFile.Read(P("m.npy")), ApiMap(CamTarget.Sum(4, 5))) < 1e-5f);
    }

    [Fact]
    public void AnImageIsFullySimilarToItself()
    {
        var (code, output, err) = Run("explain", "--similar-to", Sample);
        Assert.True(code == 0, err);
        Assert.Contains("for cosine similarity to a reference embedding, score 1.0000", output);
    }

    [Theory]
    [InlineData(2, "Give one of --target, --similar-to and --segment-class.", "--target", "1", "--similar-to", "x.png")]
    [InlineData(2, "--sum-targets needs --target", "--sum-targets")]
    [InlineData(2, "--segment-mask goes with --segment-class.", "--segment-mask", "m.png")]
    [InlineData(1, "CamTarget.Segmentation needs model output [N,K,H,W]; the model returned [1,8].", "--segment-class", "1")]
    public void TargetMistakesAreOneLineErrors(int exitCode, string expected, params string[] args)
    {
        var (code, _, err) = Run(args.Prepend("explain").ToArray());
        Assert.Equal(exitCode, code);
        Assert.Contains(expected, err);
    }
}
