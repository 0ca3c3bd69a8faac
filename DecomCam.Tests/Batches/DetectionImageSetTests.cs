using DecomCamNet.Batches;
using DecomCamNet.Detection;
using DecomCamNet.Evaluation.Scenes;
using DecomCamNet.Evaluation.Training;
using DecomCamNet.Imaging;
using DecomCamNet.Models;
using DecomCamNet.Tests.Imaging;
using DecomCamNet.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Batches;

/// <summary>
/// An image set through the bundled detector (scenedet): one manifest row per detection, equal to what one image's
/// detection and explanation give; a blank image's row says it has none; a resume after a run killed while appending an
/// image's rows writes each box once; shards merge with their rows per box.
/// </summary>
[Collection(ProcessTensorsCollection.Name)]
public sealed class DetectionImageSetTests : IDisposable
{
    private static readonly DetectionOptions Options = new() { MaxDetections = 10 };
    private static readonly string[] Labels = File.ReadAllLines(Path.Combine(RepoPaths.Root, "DecomCam.Cli", "assets", "scenedet.labels.txt"));
    private readonly TempDir _dir = new();
    private readonly SceneDet _model;
    private readonly ImagePreprocessing _preprocessing = ModelZoo.Preprocessing("scenedet");

    public DetectionImageSetTests()
    {
        _model = new SceneDet();
        StateDictLoader.Load(_model, Path.Combine(RepoPaths.Root, "DecomCam.Cli", "assets", "scenedet.safetensors"));
        _model.eval();
    }

    public void Dispose()
    {
        _model.Dispose();
        _dir.Dispose();
    }

    /// <summary>Three held-out scenes of seed 1 and a blank image, sorted.</summary>
    private IReadOnlyList<string> Inputs()
    {
        string folder = _dir.File("images");
        Directory.CreateDirectory(folder);
        for (int i = 0; i < 3; i++)
        {
            using var image = new SceneGenerator(1).Generate(DemoTrainer.HeldOutIndexBase + 3 + i).ToImage();
            image.SaveAsPng(Path.Combine(folder, $"scene{i}.png"));
        }
        using (var blank = new Image<Rgb24>(128, 128, new Rgb24(128, 128, 128))) blank.SaveAsPng(Path.Combine(folder, "z-blank.png"));
        return ImageSetInput.Resolve(folder);
    }

    private ImageSetRun SetRun(ICamMethod cam, string outDir, int imagesPerBatch = 1) => new(cam, _preprocessing, CPU, outDir,
        new ImageSetOptions { ImagesPerBatch = imagesPerBatch, Decoders = 1, Model = "scenedet", Detection = new ImageSetDetection(_model, DetectionLayout.YoloV8)
        {
            Options = Options, Labels = Labels,
        } });

    [Fact]
    public void EachDetectionGetsARowAndTheMapOneImageGivesAndABlankImageARowSayingItHasNone()
    {
        var inputs = Inputs();
        using var cam = new GradCam(_model, "block5");
        // One image a batch: the same kernels as one image's explain. (A batch changes the maps by float rounding, which
        // min-max normalisation magnifies for a saturated detection whose gradients are all but zero.)
        var run = SetRun(cam, _dir.File("out"));
        Assert.Equal("YoloV8, confidence above 0.25, IoU 0.45, at most 10 per image (30000 candidates)", run.Settings["detection"]);

        long live = TestTensors.ProcessLiveTensorsAfterCollection();
        var summary = run.Run(inputs, ShardSpec.All, resume: false);
        Assert.Equal(live, Tensor.TotalCount);
        Assert.Equal((4, 0, 0), (summary.Explained, summary.Failed, summary.Skipped));

        var rows = Manifest.Read(_dir.File("out/manifest.jsonl"));
        int boxes = 0;
        foreach (var input in inputs.Take(3))
        {
            using var scope = NewDisposeScope();
            var x = ImageLoader.Load(input, _preprocessing);
            IReadOnlyList<DetectedBox> expected;
            using (no_grad()) expected = DetectionDecoder.Detect(DetectionDecoder.Decode(_model.call(x)), Options)[0];
            Assert.NotEmpty(expected);
            using var alone = cam.Explain(x, CamTarget.Boxes([expected.Select(ReferenceBox.Of).ToArray()], layout: DetectionLayout.YoloV8));
            var mine = rows.Where(r => r.Input == input).ToList();
            Assert.Equal(expected.Count, mine.Count);
            for (int d = 0; d < mine.Count; d++)
            {
                var row = mine[d];
                Assert.Equal((d, expected.Count, "each detection", "gradcam", "block5"), (row.Detection!.Value, row.Detections!.Value, row.Target, row.Method, row.Layer));
                Assert.Equal(expected[d].Box.ToArray(), row.Box);
                Assert.Equal((long)expected[d].ClassIndex, row.Class);
                Assert.Equal(Labels[expected[d].ClassIndex], row.Label);
                Assert.Equal(expected[d].Score, row.DetectionScore);
                Assert.Equal(alone.Scores[d].item<float>(), row.Score!.Value, 1e-5f);
                Assert.Equal([ImageSetRun.OutputStem(input) + $"_det{d}.npy", ImageSetRun.OutputStem(input) + $"_det{d}.png"], row.Outputs);
                using var map = NpyFile.Read(Path.Combine(_dir.File("out"), row.Outputs[0]));
                Assert.True(TestTensors.MaxAbsDiff(alone.Maps[d], map) <= 1e-5f, $"{input} box {d}: max diff {TestTensors.MaxAbsDiff(alone.Maps[d], map)}");
                // The overlay: the map on the picture, every box of the image drawn and this one highlighted, captioned as explain does.
                using var picture = ImageLoader.LoadRgb(input, _preprocessing);
                var labeled = expected.Select((e, k) => new LabeledBox(e.Box, LabeledBox.Tag(Labels[e.ClassIndex], e.Score), k == d)).ToList();
                using var overlay = CamImageWriter.CreateBoxOverlay(picture, map, labeled, 0.5f,
                    FormattableString.Invariant($"box {expected[d].Box} {LabeledBox.Tag(row.Label!, row.DetectionScore)}, target score {row.Score:F4}"));
                using var written = Image.Load<Rgb24>(Path.Combine(_dir.File("out"), row.Outputs[1]));
                Assert.Equal(ImagingTestSupport.Pixels(overlay), ImagingTestSupport.Pixels(written));
            }
            boxes += mine.Count;
        }
        var none = Assert.Single(rows, r => r.Input == inputs[3]);
        Assert.Equal((0, (int?)null, (long?)null, (string?)null, 0), (none.Detections!.Value, none.Detection, none.Class, none.Error, none.Outputs.Count));
        Assert.Null(none.Box);
        Assert.Equal(boxes + 1, rows.Count);
        Assert.True(boxes >= 4, $"{boxes} boxes in three scenes: the case checks too little");
    }

    [Fact]
    public void AResumeAfterAKillWhileAppendingAnImagesRowsRedoesThatImageAloneAndShardsMergeRowsPerBox()
    {
        var inputs = Inputs();
        using var cam = new GradCam(_model, "block5");
        string outDir = _dir.File("out");
        Assert.Equal(4, SetRun(cam, outDir, imagesPerBatch: 4).Run(inputs, ShardSpec.All, resume: false).Explained);
        string manifest = Path.Combine(outDir, "manifest.jsonl");
        var whole = Manifest.Read(manifest);
        // A kill while the rows of the image with most boxes were appended: keep its first row and, cut short, half its second.
        string cut = whole.GroupBy(r => r.Input).OrderByDescending(g => g.Count()).First().Key;
        Assert.True(whole.Count(r => r.Input == cut) >= 2);
        var lines = File.ReadAllLines(manifest);
        int first = whole.ToList().FindIndex(r => r.Input == cut);
        var kept = lines.Where((_, i) => whole[i].Input != cut || i == first).ToList();
        File.WriteAllText(manifest, string.Join("\n", kept) + "\n" + lines[first + 1][..20]);
        Assert.DoesNotContain(cut, Manifest.Explained(Manifest.Read(manifest)));

        var resumed = SetRun(cam, outDir, imagesPerBatch: 4).Run(inputs, ShardSpec.All, resume: true);
        Assert.Equal((1, 0, 3), (resumed.Explained, resumed.Failed, resumed.Skipped));
        var after = Manifest.Read(manifest);
        Assert.Equal(kept.Count + whole.Count(r => r.Input == cut), after.Count); // the cut image's rows again, nothing else
        var latest = Manifest.Latest(after);
        Assert.Equal(Describe(whole), Describe(latest.OrderBy(r => r.Input, StringComparer.Ordinal)));
        Assert.Equal(inputs, Manifest.Explained(after).Order(StringComparer.Ordinal));

        // Two shards into one folder, merged: the same rows, per box, as the whole run.
        string sharded = _dir.File("sharded");
        for (int i = 0; i < 2; i++) SetRun(cam, sharded).Run(inputs, ShardSpec.Parse($"{i}/2", new Dictionary<string, string>()), resume: false);
        Assert.Equal(Describe(whole), Describe(ShardMerge.Merge([sharded])));
    }

    [Fact]
    public void AConfidenceNoDetectionPassesGivesEveryImageItsRowWithoutMapsAndGivenBoxesTheirDetectedClass() // scores reach 0.9995
    {
        var inputs = Inputs().Take(2).ToList();
        using var cam = new GradCam(_model, "block5");
        var strict = new ImageSetRun(cam, _preprocessing, CPU, _dir.File("strict"), new ImageSetOptions
        {
            Decoders = 1, Model = "scenedet", WriteOverlay = false,
            Detection = new ImageSetDetection(_model, DetectionLayout.YoloV8) { Options = new DetectionOptions { ConfidenceThreshold = 1f } },
        });
        var summary = strict.Run(inputs, ShardSpec.All, resume: false);
        Assert.Equal((2, 0), (summary.Explained, summary.Failed));
        Assert.All(Manifest.Read(_dir.File("strict/manifest.jsonl")), r => Assert.Equal((0, 0, (string?)null), (r.Detections!.Value, r.Outputs.Count, r.Error)));
        Assert.Empty(Directory.EnumerateFiles(_dir.File("strict"), "*.npy"));

        // A given box that matches no prediction of its class scores 0 (no gradient): EigenCAM explains it all the same.
        using var eigen = CamMethods.Create("eigencam", _model, new CamLayer[] { "block5" });
        var given = new ImageSetRun(eigen, _preprocessing, CPU, _dir.File("given"), new ImageSetOptions
        {
            Decoders = 1, Model = "scenedet", WriteOverlay = false,
            Detection = new ImageSetDetection(_model, DetectionLayout.YoloV8) { Boxes = [new GivenBox(new BoundingBox(10, 10, 60, 60), 0), new GivenBox(new BoundingBox(40, 40, 90, 90))] },
        });
        Assert.Equal("given boxes", given.Settings["target"]);
        given.Run(inputs, ShardSpec.All, resume: false);
        var rows = Manifest.Read(_dir.File("given/manifest.jsonl"));
        Assert.True(rows.Count == 4, string.Join("; ", rows.Select(r => r.Error)));
        foreach (var input in inputs)
        {
            using var scope = NewDisposeScope();
            var x = ImageLoader.Load(input, _preprocessing);
            DecodedPredictions decoded;
            using (no_grad()) decoded = DetectionDecoder.Decode(_model.call(x));
            var mine = rows.Where(r => r.Input == input).ToList();
            Assert.Equal((0L, "class 0", (float?)null), (mine[0].Class!.Value, mine[0].Label, mine[0].DetectionScore));
            Assert.Equal((long)BoxSelection.ClassOfBestMatch(decoded, 0, new BoundingBox(40, 40, 90, 90)), mine[1].Class);
            Assert.Equal([40f, 40f, 90f, 90f], mine[1].Box);
        }
    }

    private static List<string> Describe(IEnumerable<ManifestRow> rows) =>
        rows.Select(r => FormattableString.Invariant(
            $"{r.Input} {r.Detection}/{r.Detections} {(r.Box is { } b ? new BoundingBox(b[0], b[1], b[2], b[3]) : null)} {r.Class} {r.DetectionScore:F3} {string.Join(",", r.Outputs)}")).ToList();
}
