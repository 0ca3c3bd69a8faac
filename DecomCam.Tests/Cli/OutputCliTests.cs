using System.Globalization;
using System.Text.RegularExpressions;
using DecomCamNet.Batches;
using DecomCamNet.Imaging;
using DecomCamNet.Models;
using DecomCamNet.Onnx;
using DecomCamNet.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Cli;

/// <summary>Outputs that explain themselves: captioned overlays, numbered OSSM panels, default names after the method, and the words for what was explained.</summary>
public sealed class OutputCliTests : CliRun
{
    private static string Sample => Path.Combine(AppContext.BaseDirectory, "assets", "sample.png");

    /// <summary>The bundled model and sample, as the CLI loads them, and DecomCAM's result on them for the top class.</summary>
    private static CamResult BundledDecomCam()
    {
        var model = ModelZoo.Create("scenenet");
        StateDictLoader.Load(model, Path.Combine(AppContext.BaseDirectory, "assets", "scenenet.safetensors"));
        model.eval();
        using var cam = new DecomCam(model, "block4");
        return cam.Explain(ImageLoader.Load(Sample, ImagePreprocessing.None), CamTarget.TopClass);
    }

    [Fact]
    public void TheOverlayIsCaptionedAndBareOverlayGivesTheMapOnlyOverlayExactly()
    {
        var (code, output, err) = Run("explain", "--overlay", P("o.png"), "--save-map", P("m.npy"));
        Assert.True(code == 0, err);
        Assert.Contains("gradcam on block4 for class 5 (ring), score ", output);
        (code, _, err) = Run("explain", "--overlay", P("bare.png"), "--bare-overlay");
        Assert.True(code == 0, err);

        using var scope = NewDisposeScope();
        using var picture = Image.Load<Rgb24>(Sample);
        using var expected = CamImageWriter.CreateOverlay(picture, NpyFile.Read(P("m.npy"))[0]);
        using var bare = Image.Load<Rgb24>(P("bare.png"));
        using var captioned = Image.Load<Rgb24>(P("o.png"));
        Assert.Equal((128, 128), (bare.Width, bare.Height));
        Assert.Equal(128, captioned.Width);
        Assert.True(captioned.Height > 140, $"height {captioned.Height}");
        for (int y = 0; y < 128; y++)
            for (int x = 0; x < 128; x++)
            {
                Assert.Equal(expected[x, y], bare[x, y]);
                Assert.Equal(expected[x, y], captioned[x, y]);
            }
        int ink = 0;
        for (int y = 128; y < captioned.Height; y++)
            for (int x = 0; x < 128; x++)
                if (captioned[x, y] == new Rgb24(0, 0, 0)) ink++;
        Assert.True(ink > 150, $"{ink} text pixels");
        Assert.Contains(Enumerable.Range(128, captioned.Height - 128), y => // a colour bar: jet(0) on the left, jet(1) on the right
            Enumerable.Range(0, 40).Any(x => captioned[x, y] == ColorMaps.Jet(0f)) && Enumerable.Range(88, 40).Any(x => captioned[x, y] == ColorMaps.Jet(1f)));
    }

    [Fact]
    public void EachOssmPanelAndStdoutLineCarriesTheWeightAndSingularValueOfTheResult()
    {
        var (code, output, err) = Run("explain", "--method", "decomcam", "--overlay", P("d.png"));
        Assert.True(code == 0, err);
        using var scope = NewDisposeScope();
        using var result = BundledDecomCam();
        var weights = result.Intermediate("weights")[0].data<float>().ToArray();
        var singular = result.Intermediate("singular_values")[0].data<float>().ToArray();
        var lines = Regex.Matches(output, @"^ossm (\d+): weight ([0-9.]+), singular value ([0-9.]+)$", RegexOptions.Multiline);
        Assert.Equal(weights.Length, lines.Count);
        Assert.Equal(10, lines.Count);
        for (int q = 0; q < lines.Count; q++)
        {
            Assert.Equal(q + 1, int.Parse(lines[q].Groups[1].Value, CultureInfo.InvariantCulture));
            Assert.Equal(weights[q], float.Parse(lines[q].Groups[2].Value, CultureInfo.InvariantCulture), 3e-4f);
            Assert.Equal(singular[q], float.Parse(lines[q].Groups[3].Value, CultureInfo.InvariantCulture), 3e-4f);
        }
        Assert.Contains(weights, w => w < 0.5f); // not all weights alike: a mix-up of panels would show

        // Two rows of five 128-px panels, each with a label strip holding text.
        using var grid = Image.Load<Rgb24>(P("d_ossm.png"));
        Assert.Equal(5 * 128 + 4 * CamImageWriter.GridGutter, grid.Width);
        int cellHeight = (grid.Height - CamImageWriter.GridGutter) / 2;
        Assert.True(cellHeight > 128 + 7, $"cell height {cellHeight}");
        for (int panel = 0; panel < 10; panel++)
        {
            int x0 = panel % 5 * (128 + CamImageWriter.GridGutter), y0 = panel / 5 * (cellHeight + CamImageWriter.GridGutter);
            int ink = 0;
            for (int y = y0 + 128; y < y0 + cellHeight; y++)
                for (int x = x0; x < x0 + 128; x++)
                    if (grid[x, y] == new Rgb24(0, 0, 0)) ink++;
            Assert.True(ink > 60, $"panel {panel + 1}: {ink} text pixels");
        }
    }

    [Fact]
    public void ImageSetManifestRowsCarryTheOssmWeightsAndOldRowsStillRead()
    {
        using var dir = new Imaging.TempDir();
        var inputs = ImageSetInput.Resolve(TestImages.RandomPngs(dir.File("images"), 2, size: 48));
        using var model = ModelZoo.Create("scenenet");
        model.eval();
        using var cam = new DecomCam(model, "block4", new DecomCamOptions { Q = 3 });
        var options = new ImageSetOptions { ImagesPerBatch = 2, Decoders = 1, Target = 1, Model = "scenenet" };
        new ImageSetRun(cam, ImagePreprocessing.None, CPU, dir.File("out"), options).Run(inputs, ShardSpec.All, resume: false);
        var rows = Manifest.Read(dir.File("out/manifest.jsonl"));
        Assert.Equal(2, rows.Count);
        foreach (var row in rows)
        {
            using var scope = NewDisposeScope();
            using var alone = cam.Explain(ImageLoader.Load(row.Input, ImagePreprocessing.None), 1);
            var weights = alone.Intermediate("weights")[0].data<float>().ToArray();
            var singular = alone.Intermediate("singular_values")[0].data<float>().ToArray();
            Assert.Equal(3, row.OssmWeights!.Count);
            for (int q = 0; q < 3; q++)
            {
                Assert.Equal(weights[q], row.OssmWeights[q], 1e-4f);
                Assert.Equal(singular[q], row.OssmSingularValues![q], 1e-4f);
            }
            // The overlay is captioned: taller than the image.
            using var overlay = Image.Load<Rgb24>(Path.Combine(dir.File("out"), row.Outputs[1]));
            Assert.Equal(48, overlay.Width);
            Assert.True(overlay.Height > 48);
        }
        Assert.Contains("\"ossm_weights\":[", File.ReadAllText(dir.File("out/manifest.jsonl")));

        using var gradcam = new GradCam(model, "block4");
        new ImageSetRun(gradcam, ImagePreprocessing.None, CPU, dir.File("plain"), options with { CaptionOverlay = false }).Run(inputs, ShardSpec.All, resume: false);
        Assert.DoesNotContain("ossm", File.ReadAllText(dir.File("plain/manifest.jsonl")));
        var plain = Manifest.Read(dir.File("plain/manifest.jsonl"));
        Assert.All(plain, r => Assert.Null(r.OssmWeights));
        using (var bare = Image.Load<Rgb24>(Path.Combine(dir.File("plain"), plain[0].Outputs[1]))) Assert.Equal((48, 48), (bare.Width, bare.Height));

        // A row written before these fields existed.
        File.WriteAllText(dir.File("old.jsonl"), "{\"input\":\"a.png\",\"sha256\":\"00\",\"model\":\"m\",\"method\":\"decomcam\",\"layer\":\"block4\"," +
            "\"target\":null,\"class\":1,\"score\":2.5,\"seconds\":0.1,\"outputs\":[\"a.npy\"],\"error\":null}\n");
        var old = Assert.Single(Manifest.Read(dir.File("old.jsonl")));
        Assert.Equal((1L, (IReadOnlyList<float>?)null, (IReadOnlyList<float>?)null), (old.Class!.Value, old.OssmWeights, old.OssmSingularValues));
    }

    [Fact]
    [Trait("Category", "Packaging")]
    public void DefaultOutputNamesFollowTheMethod()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "decomcam.dll");
        var plain = ProcessRunner.Run("dotnet", $"\"{dll}\"", Folder, TimeSpan.FromMinutes(2));
        Assert.True(plain.ExitCode == 0, plain.Output);
        var decom = ProcessRunner.Run("dotnet", $"\"{dll}\" explain --method decomcam --decom-q 2", Folder, TimeSpan.FromMinutes(2));
        Assert.True(decom.ExitCode == 0, decom.Output);
        var scorecam = ProcessRunner.Run("dotnet", $"\"{dll}\" explain --method ScoreCAM", Folder, TimeSpan.FromMinutes(2));
        Assert.True(scorecam.ExitCode == 0, scorecam.Output);
        Assert.Equal(new[] { "decomcam-overlay.png", "decomcam-overlay_ossm.png", "gradcam-overlay.png", "scorecam-overlay.png" },
            Directory.GetFiles(Folder).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray());
        Assert.Contains("wrote gradcam-overlay.png", plain.Output);
    }

    [Fact]
    public void AnEmbeddingModelSaysFeatureAndLayersPrintAsTheUserNamedThem()
    {
        using var featurizer = OnnxModel.Load(Onnx.OnnxRealWeightsTests.ResNet18Path);
        string node = featurizer.DefaultLayer().NodeName;
        var (code, output, err) = Run("explain", "--model", Onnx.OnnxRealWeightsTests.ResNet18Path,
            "--preprocess-onnx", Onnx.OnnxRealWeightsTests.PreprocessPath, "--pixel-scale", "255", "--input", Sample,
            "--layer", node, "--method", "gradcam", "--overlay", P("f.png"));
        Assert.True(code == 0, err);
        Assert.Matches($"^image 0: gradcam on {Regex.Escape(node)} for feature \\d+, score ", output);
        Assert.DoesNotContain("model.", output);
        Assert.DoesNotContain("class", output);
    }
}
