using DecomCamNet.Imaging;
using DecomCamNet.Tests.Support;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Cli;

public sealed class CliTests : CliRun
{
    [Fact]
    public void DefaultRunExplainsTheBundledSampleWithTheBundledModel()
    {
        var (code, output, err) = Run("explain", "--overlay", P("o.png"), "--save-map", P("m.npy"));
        Assert.True(code == 0, err);
        Assert.Contains("for class", output);
        Assert.Contains("(ring)", output);
        using var map = NpyFile.Read(P("m.npy"));
        Assert.Equal(new long[] { 1, 128, 128 }, map.shape);
        Assert.True(map.max().item<float>() > 0.9f && map.max().item<float>() <= 1f && map.min().item<float>() >= 0f);
        using var png = SixLabors.ImageSharp.Image.Load(P("o.png"));
        Assert.Equal(128, png.Width); // and a caption strip below
    }

    [Theory]
    [MemberData(nameof(MethodFactory.All), MemberType = typeof(MethodFactory))]
    public void EveryMethodRunsFromTheCommandLine(string method)
    {
        var (code, output, err) = Run("explain", "--method", method, "--overlay", P("o.png"), "--heatmap", P("h.png"), "--target", "2", "--batch-size", "16");
        Assert.True(code == 0, err);
        Assert.Contains(method == "fullgrad" ? "fullgrad on block1.0+block1.1+" : $"{method} on block4 for class 2", output); // FullGrad: every bias layer
        Assert.True(File.Exists(P("o.png")) && File.Exists(P("h.png")));
    }

    [Fact]
    public void NpyInputGivesTheSameMapsAsTheApi()
    {
        using var scope = NewDisposeScope();
        var x = TestTensors.Batch(2, 40, 40);
        NpyFile.Write(P("x.npy"), x);
        var (code, output, err) = Run("explain", "--input", P("x.npy"), "--method", "gradcam++", "--target", "1,3", "--save-map", P("m.npy"), "--overlay", P("o.png"));
        Assert.True(code == 0, err);
        Assert.True(File.Exists(P("o_0.png")) && File.Exists(P("o_1.png")));

        var model = DecomCamNet.Models.ModelZoo.Create("scenenet");
        DecomCamNet.Models.StateDictLoader.Load(model, Path.Combine(AppContext.BaseDirectory, "assets", "scenenet.safetensors"));
        using var cam = new GradCamPlusPlus(model, "block4");
        using var expected = cam.Explain(x, new[] { 1, 3 });
        // Another process, the same computation; in this one another test thread may have oneDNN off: a few 1e-6.
        Assert.True(TestTensors.MaxAbsDiff(NpyFile.Read(P("m.npy")), expected.Maps) < 1e-5f);
    }

    [Fact]
    public void DecomCamWritesComponentsAndAGrid()
    {
        var (code, _, err) = Run("explain", "--method", "decomcam", "--decom-q", "4", "--decom-mode", "official", "--overlay", P("o.png"), "--save-components", P("c.npy"));
        Assert.True(code == 0, err);
        using var components = NpyFile.Read(P("c.npy"));
        Assert.Equal(new long[] { 4, 128, 128 }, components.shape);
        Assert.True(File.Exists(P("o_ossm.png")));
    }

    [Fact]
    public void RepeatPrintsTheMedian()
    {
        var (code, output, err) = Run("explain", "--repeat", "3", "--overlay", P("o.png"), "--threads", "1");
        Assert.True(code == 0, err);
        var line = output.Split('\n').Single(l => l.StartsWith("median_seconds=", StringComparison.Ordinal));
        Assert.True(double.Parse(line["median_seconds=".Length..], System.Globalization.CultureInfo.InvariantCulture) > 0);
    }

    [Fact]
    public void ZooModelRunsWithRandomWeightsOnANpyInput()
    {
        using var scope = NewDisposeScope();
        NpyFile.Write(P("x.npy"), TestTensors.Batch(1, 64, 64));
        var (code, output, err) = Run("explain", "--model", "resnet18", "--random-weights", "--input", P("x.npy"), "--overlay", P("o.png"), "--target", "238");
        Assert.True(code == 0, err);
        Assert.Contains("gradcam on layer4 for class 238", output);
    }

    [Theory]
    [InlineData("vit-b-32", 224, "encoder.layers.encoder_layer_11.ln_1")]
    [InlineData("swin-t", 64, "features.7")]
    public void TransformerZooModelsRunOnTheirDefaultLayerWithTheirReshape(string model, int size, string layer)
    {
        using var scope = NewDisposeScope();
        NpyFile.Write(P("x.npy"), TestTensors.Batch(1, size, size));
        var (code, output, err) = Run("explain", "--model", model, "--random-weights", "--input", P("x.npy"), "--save-map", P("m.npy"), "--overlay", P("o.png"), "--target", "238");
        Assert.True(code == 0, err);
        Assert.Contains($"gradcam on {layer} for class 238", output);
        using var map = NpyFile.Read(P("m.npy"));
        Assert.Equal(size, map.shape[^1]);
    }

    [Fact]
    public void HugePagesGiveTheSameMap()
    {
        var (plain, _, err1) = Run("explain", "--save-map", P("plain.npy"), "--overlay", P("p.png"));
        var (huge, _, err2) = Run("explain", "--huge-pages", "--save-map", P("huge.npy"), "--overlay", P("h.png"));
        Assert.True(plain == 0, err1);
        Assert.True(huge == 0, err2);
        Assert.Equal(File.ReadAllBytes(P("plain.npy")), File.ReadAllBytes(P("huge.npy")));
    }

    [Fact]
    public void HelpDocumentsEveryOption()
    {
        var (code, output, _) = Run("--help");
        Assert.Equal(0, code);
        foreach (var option in new[] { "--input", "--model", "--weights", "--layer", "--method", "--target", "--save-map", "--overlay", "--device", "--threads", "--repeat", "--batch-size", "--decom-p", "--decom-q", "--decom-mode", "--save-components", "--unioncam-theta", "--huge-pages", "--plain-heap", "--spin-threads", "--layout", "--no-tune", "--verbose" })
            Assert.Contains(option, output);
    }

    [Theory]
    [InlineData(2, "Unknown method 'nope'", "explain", "--method", "nope")]
    [InlineData(2, "Unknown option '--bogus'", "explain", "--bogus")]
    [InlineData(2, "--weights is required for resnet18", "explain", "--model", "resnet18")]
    [InlineData(2, "needs an integer", "explain", "--target", "x")]
    [InlineData(2, "CUDA is not available", "explain", "--device", "cuda")]
    [InlineData(1, "out of range", "explain", "--target", "8")]
    [InlineData(1, "Layer 'layer4' is not in the model", "explain", "--layer", "layer4")]
    [InlineData(1, "Layer 'fc' produced a tensor of shape [1,8]; a CAM needs a feature map [N,C,h,w] with N = 1. Choose a convolutional layer, " +
        "or give the layer a reshape for transformer tokens (ActivationReshape.Vit). On the command line: --reshape vit", "explain", "--layer", "fc")]
    [InlineData(2, "does-not-exist.png", "explain", "--input", "does-not-exist.png")] // a missing input is a usage error
    [InlineData(1, "Unknown model", "explain", "--model", "resnet7", "--random-weights")]
    public void ErrorsAreOneLineWithANonZeroExitCode(int expectedCode, string expected, params string[] args)
    {
        var (code, _, err) = Run(args.Append("--overlay").Append(P("o.png")).ToArray());
        Assert.Equal(expectedCode, code);
        Assert.Contains(expected, err);
        Assert.Single(err.Trim().Split('\n'));
        Assert.DoesNotContain("   at ", err);
    }

    [Fact]
    [Trait("Category", "Packaging")]
    public void TheBuiltToolRunsAsAProcess()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "decomcam.dll");
        var ok = ProcessRunner.Run("dotnet", $"\"{dll}\" explain --method decomcam --overlay \"{P("p.png")}\"", Folder, TimeSpan.FromMinutes(2));
        Assert.True(ok.ExitCode == 0, ok.Output);
        Assert.True(File.Exists(P("p.png")));
        var bad = ProcessRunner.Run("dotnet", $"\"{dll}\" explain --target 99", Folder, TimeSpan.FromMinutes(2));
        Assert.Equal(1, bad.ExitCode);
        // libtorch itself may print a start-up warning ("[W... NNPACK ...]") on some CPUs; ours is the one error line.
        var ours = bad.Output.Split('\n').Where(l => !l.StartsWith("[W", StringComparison.Ordinal) && l.Trim().Length > 0).ToList();
        Assert.Equal("error: Target class 99 is out of range: the model has 8 outputs (valid 0..7). (Parameter 'target')", Assert.Single(ours));
    }
}
