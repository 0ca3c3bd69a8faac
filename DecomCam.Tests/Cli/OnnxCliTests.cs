using DecomCamNet.Imaging;
using DecomCamNet.Models;
using DecomCamNet.Onnx;
using DecomCamNet.Tests.Support;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Cli;

/// <summary><c>explain --model X.onnx</c>, <c>--list-layers</c> and <c>--mean</c>/<c>--std</c> from the command line.</summary>
public sealed class OnnxCliTests : CliRun
{
    private static readonly string ShapesNetOnnx = RepoPaths.Golden("onnx", "shapesnet_opset17.onnx");

    [Fact]
    public void AnOnnxModelExplainsLikeTheApiAtANodeName()
    {
        using var scope = NewDisposeScope();
        var x = TestTensors.Batch(2, 48, 48);
        NpyFile.Write(P("x.npy"), x);
        var (code, output, err) = Run("explain", "--model", ShapesNetOnnx, "--input", P("x.npy"), "--method", "gradcam",
            "--layer", "/block3/block3.2/Relu", "--target", "1,3", "--save-map", P("m.npy"));
        Assert.True(code == 0, err);
        Assert.Contains("for class 1", output);

        using var onnx = OnnxModel.Load(ShapesNetOnnx);
        using var cam = new GradCam(onnx, "/block3/block3.2/Relu");
        using var expected = cam.Explain(x, new[] { 1, 3 });
        Assert.True(TestTensors.MaxAbsDiff(NpyFile.Read(P("m.npy")), expected.Maps) < 1e-5f);
    }

    [Fact]
    public void AnExportedVitExplainsAtATokenNodeWithTheReshapeInferred()
    {
        using var scope = NewDisposeScope();
        var x = NpyFile.Read(RepoPaths.Golden("vit", "vit_input.npy"));
        NpyFile.Write(P("x.npy"), x);
        const string lastNorm = "/encoder/layers/encoder_layer_1/ln_1/LayerNormalization";
        var (code, output, err) = Run("explain", "--model", RepoPaths.Golden("onnx", "vit_opset17.onnx"), "--input", P("x.npy"),
            "--method", "gradcam", "--layer", lastNorm, "--target", "3,7", "--save-map", P("m.npy"));
        Assert.True(code == 0, err);
        Assert.Contains("for class 3", output);

        using var zoo = VitLoader.LoadTorchvision(RepoPaths.Golden("vit", "vit_torchvision.safetensors"), heads: 2);
        using var cam = new GradCam(zoo, ((CamLayer)"encoder.layers.encoder_layer_1.ln_1").WithReshape(ActivationReshape.Vit));
        using var expected = cam.Explain(x, new[] { 3, 7 });
        Assert.True(TestTensors.MaxAbsDiff(NpyFile.Read(P("m.npy")), expected.Maps) < 1e-4f);
    }

    [Theory]
    [InlineData("rollout")]
    [InlineData("chefer")]
    [InlineData("legrad")]
    public void AnExportedVitExplainsWithTheAttentionMethodsAsTheZooVit(string method)
    {
        using var scope = NewDisposeScope();
        var x = NpyFile.Read(RepoPaths.Golden("vit", "vit_input.npy"));
        NpyFile.Write(P("x.npy"), x);
        var (code, output, err) = Run("explain", "--model", RepoPaths.Golden("onnx", "vit_opset14.onnx"), "--input", P("x.npy"),
            "--method", method, "--discard-ratio", "0.5", "--target", "3,7", "--save-map", P("m.npy"));
        Assert.True(code == 0, err);
        Assert.Contains("for class 3", output);

        using var zoo = VitLoader.LoadTorchvision(RepoPaths.Golden("vit", "vit_torchvision.safetensors"), heads: 2);
        using var cam = CamMethods.Create(method, zoo, Array.Empty<CamLayer>(), new CamMethodSettings { Rollout = new RolloutOptions(DiscardRatio: 0.5) });
        using var expected = cam.Explain(x, new[] { 3, 7 });
        Assert.True(TestTensors.MaxAbsDiff(NpyFile.Read(P("m.npy")), expected.Maps) < 1e-4f);
    }

    [Fact]
    public void AnExportedVitListsItsTokenLayersAndExplainsItsLastFirstNormByDefault()
    {
        string vit = RepoPaths.Golden("onnx", "vit_opset14.onnx");
        const string lastNorm = "/encoder/layers/encoder_layer_1/ln_1/Add_1";
        var (code, output, err) = Run("explain", "--model", vit, "--list-layers");
        Assert.True(code == 0, err);
        var lines = output.Split('\n', StringSplitOptions.TrimEntries);
        Assert.StartsWith($"{lastNorm} (Add) -> ", Assert.Single(lines, l => l.EndsWith("(default)", StringComparison.Ordinal)));
        Assert.EndsWith("[1,17,16] -> [1,16,4,4]  (default)", Assert.Single(lines, l => l.EndsWith("(default)", StringComparison.Ordinal)));
        Assert.Contains(lines, l => l.StartsWith("/conv_proj/Conv (Conv) -> ", StringComparison.Ordinal) && l.EndsWith("[1,16,4,4]", StringComparison.Ordinal));

        using var scope = NewDisposeScope();
        var x = NpyFile.Read(RepoPaths.Golden("vit", "vit_input.npy"));
        NpyFile.Write(P("x.npy"), x);
        (code, _, err) = Run("explain", "--model", vit, "--input", P("x.npy"), "--method", "gradcam", "--target", "3,7", "--save-map", P("m.npy"));
        Assert.True(code == 0, err);
        using var zoo = VitLoader.LoadTorchvision(RepoPaths.Golden("vit", "vit_torchvision.safetensors"), heads: 2);
        using var cam = new GradCam(zoo, ((CamLayer)"encoder.layers.encoder_layer_1.ln_1").WithReshape(ActivationReshape.Vit));
        using var expected = cam.Explain(x, new[] { 3, 7 });
        Assert.True(TestTensors.MaxAbsDiff(NpyFile.Read(P("m.npy")), expected.Maps) < 1e-4f);
    }

    [Fact]
    public void ListLayersPrintsShapesAndMarksTheDefault()
    {
        var (code, output, err) = Run("explain", "--model", ShapesNetOnnx, "--list-layers");
        Assert.True(code == 0, err);
        var marked = Assert.Single(output.Split('\n'), l => l.EndsWith("(default)", StringComparison.Ordinal));
        Assert.StartsWith("/block3/block3.2/Relu (Relu) -> /block3/block3.2/Relu_output_0 [1,64,12,12]", marked);

        (code, output, err) = Run("explain", "--list-layers");
        Assert.True(code == 0, err);
        Assert.Contains("block4 [1,128,16,16]  (default)", output);
        Assert.Contains("pool3 [1,64,16,16]", output);
    }

    [Fact]
    public void MeanAndStdOverrideTheNormalisation()
    {
        var (code, _, err) = Run("explain", "--mean", "0.5,0.5,0.5", "--std", "0.25,0.25,0.25", "--save-map", P("m.npy"));
        Assert.True(code == 0, err);
        using var scope = NewDisposeScope();
        var input = ImageLoader.Load(Path.Combine(AppContext.BaseDirectory, "assets", "sample.png"),
            ImagePreprocessing.None with { Mean = new[] { 0.5f, 0.5f, 0.5f }, Std = new[] { 0.25f, 0.25f, 0.25f } });
        using var model = ModelZoo.Create("scenenet");
        StateDictLoader.Load(model, Path.Combine(AppContext.BaseDirectory, "assets", "scenenet.safetensors"));
        using var cam = new GradCam(model, "block4");
        using var expected = cam.Explain(input);
        Assert.True(TestTensors.MaxAbsDiff(NpyFile.Read(P("m.npy")), expected.Maps) < 1e-5f);
    }

    [Theory]
    [InlineData("do not go with an ONNX model", "--weights", "w.safetensors")]
    [InlineData("does not go with an ONNX model", "--num-classes", "3")]
    public void OnnxMistakesAreOneLineErrors(string expected, params string[] args)
    {
        var (code, _, err) = Run(args.Prepend(ShapesNetOnnx).Prepend("--model").Prepend("explain").ToArray());
        Assert.Equal(2, code);
        Assert.Contains(expected, err);
    }

    [Fact]
    public void AMissingOnnxFileIsNamed()
    {
        var (code, _, err) = Run("explain", "--model", P("Missing.onnx"));
        Assert.Equal(2, code);
        Assert.Contains($"ONNX model '{P("Missing.onnx")}' does not exist", err);
    }

    [Fact]
    public void TheRealFeaturizerRunsBehindItsPreprocessingGraph()
    {
        // The README's featurizer command on the bundled sample against a second scene: the preprocessing graph (RGB to
        // BGR, minus the mean image) runs inside the explained model on raw 0..255 pixels. (Against itself the cosine is at
        // its maximum and its gradient zero: no map.)
        string sample = Path.Combine(AppContext.BaseDirectory, "assets", "sample.png");
        string other = Path.Combine(RepoPaths.Root, "reference", "demo_second_scene.png");
        var (code, output, err) = Run("explain", "--model", Onnx.OnnxRealWeightsTests.ResNet18Path,
            "--preprocess-onnx", Onnx.OnnxRealWeightsTests.PreprocessPath, "--pixel-scale", "255", "--input", sample,
            "--similar-to", other, "--method", "gradcam", "--save-map", P("m.npy"), "--overlay", P("o.png"));
        Assert.True(code == 0, err);
        Assert.Contains("for cosine similarity to a reference embedding, score 0.", output);
        Assert.True(File.Exists(P("o.png")));

        using var scope = NewDisposeScope();
        using var featurizer = OnnxModel.Load(Onnx.OnnxRealWeightsTests.ResNet18Path);
        using var preprocessGraph = OnnxModel.Load(Onnx.OnnxRealWeightsTests.PreprocessPath);
        var caffe = new ImagePreprocessing { Resize = 224, CenterCrop = 224, PixelScale = 255, Mean = new[] { 0f, 0f, 0f }, Std = new[] { 1f, 1f, 1f } };
        var meanImage = preprocessGraph.get_parameter("MeanImage")!;
        var byHand = ImageLoader.Load(sample, caffe).flip(1) - meanImage;
        using var cam = new GradCam(featurizer, featurizer.DefaultLayer().NodeName);
        Tensor reference;
        using (no_grad()) reference = featurizer.call(ImageLoader.Load(other, caffe).flip(1) - meanImage);
        using var expected = cam.Explain(byHand, CamTarget.Similarity(reference));
        // The same float32 graph on the same values; Grad-CAM does not read the input itself.
        float diff = TestTensors.MaxAbsDiff(NpyFile.Read(P("m.npy")), expected.Maps);
        Assert.True(diff < 1e-4f, $"max |map difference| {diff:g3}");
        Assert.True(expected.Maps.std().item<float>() > 0.05f, $"std {expected.Maps.std().item<float>()}");
    }

    [Fact]
    public void AnImageSetFindsTheOnnxModelsDefaultLayerFromItsFixedInput()
    {
        string dir = TestImages.RandomPngs(P("in"), 3, size: 60);
        var (code, output, err) = Run("explain", "--model", ShapesNetOnnx, "--input", dir, "--out", P("out"), "--method", "gradcam", "--no-overlay");
        Assert.True(code == 0, output + err);
        var rows = DecomCamNet.Batches.Manifest.Read(P("out/manifest.jsonl"));
        Assert.Equal(3, rows.Count);
        Assert.All(rows, r => Assert.Equal("block3_block3_2_Relu", r.Layer)); // the module path of node /block3/block3.2/Relu
    }
}
