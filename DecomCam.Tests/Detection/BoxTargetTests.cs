using DecomCamNet.Detection;
using DecomCamNet.Models;
using DecomCamNet.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Detection;

/// <summary>
/// The box target (pytorch-grad-cam's FasterRCNNBoxScoreTarget on dense predictions) on the hand-worked output of
/// <see cref="DetectionDecoderTests"/> (anchor 0: (6,6)-(14,14) class 0 at 0.9; anchors 1 and 2: (7,6)-(15,14), class 0
/// at 0.8 and class 1 at 0.7; anchor 3: (35,30)-(45,50) class 1 at 0.3), then through the CAM pipeline on SceneDet.
/// </summary>
public class BoxTargetTests
{
    private static Tensor Output() => tensor(new[]
    {
        10f, 11f, 11f, 40f, // cx
        10f, 10f, 10f, 40f, // cy
        8f, 8f, 8f, 10f,    // w
        8f, 8f, 8f, 20f,    // h
        0.9f, 0.8f, 0.1f, 0.2f, // class 0
        0.1f, 0.05f, 0.7f, 0.3f, // class 1
    }, new long[] { 1, 6, 4 });

    private static Tensor Score(Tensor output, float x1, float y1, float x2, float y2, int cls, double threshold = 0.5) =>
        BoxMatchScore.Compute(DetectionDecoder.Decode(output, DetectionLayout.YoloV8), tensor(new[] { x1, y1, x2, y2 }, new long[] { 1, 4 }),
            tensor(new long[] { cls }), threshold);

    [Theory]
    [InlineData(6, 6, 14, 14, 0, 0.5, 1.9)]            // anchor 0 itself: 0.9 + IoU 1
    [InlineData(7, 6, 15, 14, 0, 0.5, 1.8)]            // anchor 1 (IoU 1) beats anchor 0 (IoU 0.778)
    [InlineData(7, 6, 15, 14, 1, 0.5, 1.7)]            // class 1: anchor 2
    [InlineData(6, 6, 14, 14, 1, 0.5, 0.7 + 56.0 / 72)] // class 1 near anchor 0: anchor 2 at IoU 0.778
    [InlineData(6, 6, 14, 14, 1, 0.8, 0)]              // ... not above 0.8: no match
    [InlineData(100, 100, 110, 110, 0, 0.5, 0)]        // nothing there
    public void ScoresTheBestMatchOfTheClassPlusItsIou(float x1, float y1, float x2, float y2, int cls, double threshold, double expected)
    {
        using var scope = NewDisposeScope();
        Assert.Equal(expected, Score(Output(), x1, y1, x2, y2, cls, threshold).item<float>(), 5);
    }

    [Fact]
    public void YoloV5MultipliesTheObjectness()
    {
        using var scope = NewDisposeScope();
        // Anchor 3 as a YOLOv5 row: objectness 0.5, class 1 at 0.6, so its score is 0.3.
        var v5 = tensor(new[] { 40f, 40f, 10f, 20f, 0.5f, 0.4f, 0.6f }, new long[] { 1, 1, 7 });
        var score = BoxMatchScore.Compute(DetectionDecoder.Decode(v5, DetectionLayout.YoloV5), tensor(new[] { 35f, 30f, 45f, 50f }, new long[] { 1, 4 }),
            tensor(new long[] { 1 }), 0.5);
        Assert.Equal(1.3f, score.item<float>(), 5);
    }

    [Fact]
    public void GradientsReachTheMatchedAnchorOnly()
    {
        using var scope = NewDisposeScope();
        var output = Output().requires_grad_(true);
        // Reference (6,6)-(14,14) of class 1 matches anchor 2: inter = (18 - cx) * 8 = 56, union = 128 - inter = 72.
        Score(output, 6, 6, 14, 14, 1).sum().backward();
        var g = output.grad!;
        Assert.Equal(1f, g[0, 5, 2].item<float>(), 6);                        // its class-1 score
        Assert.Equal(-8f * 128 / (72f * 72), g[0, 0, 2].item<float>(), 5);    // d IoU / d cx = -8 * 128 / union^2
        Assert.Equal((4f * 72 - 56 * 4) / (72f * 72), g[0, 2, 2].item<float>(), 5); // d IoU / d w: dI = 4, dU = 4
        Assert.Equal(0f, g[0, 4, 2].item<float>());                           // its class-0 score
        foreach (var other in new long[] { 0, 1, 3 })
            Assert.Equal(0f, g[.., .., other].abs().sum().item<float>());
    }

    [Fact]
    public void NoMatchGivesZeroAndNoGradient()
    {
        using var scope = NewDisposeScope();
        var output = Output().requires_grad_(true);
        var s = Score(output, 100, 100, 110, 110, 0);
        s.sum().backward();
        Assert.Equal(0f, s.item<float>());
        Assert.Equal(0f, output.grad!.abs().sum().item<float>());
    }

    [Fact]
    public void BadBoxesAndClassesAreRefused()
    {
        Assert.Throws<ArgumentException>(() => CamTarget.Box(new BoundingBox(5, 5, 5, 9), 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => CamTarget.Box(new BoundingBox(0, 0, 5, 9), -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => CamTarget.Box(new BoundingBox(0, 0, 5, 9), 0, iouThreshold: 1.5));
        Assert.Throws<ArgumentException>(() => CamTarget.Boxes(new[] { Array.Empty<ReferenceBox>() }));
        using var scope = NewDisposeScope();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Score(Output(), 6, 6, 14, 14, 2));
        Assert.Contains("Target class 2", e.Message);
    }

    private static (SceneDet Model, Tensor X, IReadOnlyList<DetectedBox> Detections) SeededDetector()
    {
        var model = DeterministicInit.FillModule(new SceneDet());
        model.eval();
        var x = DeterministicInit.Input(new long[] { 1, 3, 64, 64 });
        using var noGrad = no_grad();
        var detections = DetectionDecoder.Detect(DetectionDecoder.Decode(model.call(x)), new DetectionOptions { ConfidenceThreshold = 0, MaxDetections = 3 })[0];
        return (model, x, detections);
    }

    [Fact]
    public void GradCamExplainsEachDetectionWithItsOwnScorePlusOne()
    {
        using var scope = NewDisposeScope();
        var (model, x, detections) = SeededDetector();
        using var _ = model;
        Assert.Equal(3, detections.Count);
        using var cam = new GradCam(model, "block5");
        var result = cam.Explain(x, CamTarget.Boxes(new[] { detections.Select(ReferenceBox.Of).ToArray() }));
        Assert.Equal(new long[] { 3, 64, 64 }, result.Maps.shape);
        var scores = result.Scores.data<float>().ToArray();
        for (int i = 0; i < 3; i++) Assert.Equal(detections[i].Score + 1, scores[i], 4); // a detection matches its own anchor: IoU 1
        Assert.Equal(detections.Select(d => (long)d.ClassIndex).ToArray(), result.Classes!.data<long>().ToArray());
        Assert.True(result.Maps[0].sub(result.Maps[1]).abs().max().item<float>() > 1e-3f, "two boxes gave the same map");
    }

    [Fact]
    public void MaskedForwardsScoreEachRowAgainstItsOwnBox()
    {
        using var scope = NewDisposeScope();
        var (model, x, detections) = SeededDetector();
        using var _ = model;
        using var cam = new ScoreCam(model, "block5");
        var both = cam.Explain(x, CamTarget.Boxes(new[] { new[] { ReferenceBox.Of(detections[0]), ReferenceBox.Of(detections[1]) } }));
        var second = cam.Explain(x, CamTarget.Boxes(new[] { new[] { ReferenceBox.Of(detections[1]) } }));
        Assert.True(both.Maps[1].sub(second.Maps[0]).abs().max().item<float>() < 1e-5f, "row 1 was not scored against box 1");
        Assert.True(both.Maps[0].sub(both.Maps[1]).abs().max().item<float>() > 1e-3f, "two boxes gave the same map");
    }

    /// <summary>SceneDet's output as YOLOv5 rows [N, A, 5+K] with objectness 1: the same scores in the other layout.</summary>
    private sealed class AsYoloV5 : nn.Module<Tensor, Tensor>
    {
        private readonly SceneDet block;

        public AsYoloV5(SceneDet inner) : base("asyolov5")
        {
            block = inner;
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            var rows = block.call(x).transpose(1, 2);
            return cat(new[] { rows.narrow(2, 0, 4), ones_like(rows.narrow(2, 0, 1)), rows.narrow(2, 4, rows.shape[2] - 4) }, 2);
        }
    }

    [Fact]
    public void AYoloV5OutputIsInferredAndExplainedAlike()
    {
        using var scope = NewDisposeScope();
        var (model, x, detections) = SeededDetector();
        using var _ = model;
        var v5 = new AsYoloV5(model);
        var target = CamTarget.Boxes(new[] { detections.Select(ReferenceBox.Of).ToArray() });
        using var v8Cam = new GradCam(model, "block5");
        using var v5Cam = new GradCam(v5, "block.block5");
        var expected = v8Cam.Explain(x, target);
        var actual = v5Cam.Explain(x, target);
        Assert.Equal(expected.Scores.data<float>().ToArray(), actual.Scores.data<float>().ToArray());
        Assert.True(expected.Maps.sub(actual.Maps).abs().max().item<float>() < 1e-5f);
    }

    [Fact]
    public void AugmentationSmoothingIsRefusedForBoxes()
    {
        using var scope = NewDisposeScope();
        var (model, x, detections) = SeededDetector();
        using var _ = model;
        using var cam = CamMethods.Create("gradcam", model, new CamLayer[] { "block5" }, new CamMethodSettings { AugSmooth = true });
        var e = Assert.Throws<CamException>(() => cam.Explain(x, CamTarget.Box(detections[0].Box, detections[0].ClassIndex)));
        Assert.Contains("Augmentation smoothing flips the input", e.Message);
    }

    [Fact]
    public void ABoxThatMatchesNothingIsRefusedNamingTheBoxNotTheTransformerHint()
    {
        using var scope = NewDisposeScope();
        var (model, x, _) = SeededDetector();
        using var _ = model;
        using var cam = CamMethods.Create("gradcam", model, new CamLayer[] { "block5" });
        // A box far outside the 128-px input overlaps no anchor: score 0, no gradient.
        var e = Assert.Throws<CamException>(() => cam.Explain(x, CamTarget.Box(new BoundingBox(500, 500, 520, 520), 0)));
        Assert.Contains("are all zero", e.Message);
        Assert.Contains("no anchor predicting its class overlaps it", e.Message);
        Assert.DoesNotContain("vision transformer", e.Message);
    }

    [Fact]
    public void AnUnmatchedBoxBesideAMatchedOneGetsAnEmptyMapAndAWarningNamingItsRow()
    {
        using var scope = NewDisposeScope();
        var (model, x, detections) = SeededDetector();
        using var _ = model;
        var logger = new ListLogger();
        using var cam = CamMethods.Create("gradcam", model, new CamLayer[] { "block5" }, logger: logger);
        var boxes = new[] { ReferenceBox.Of(detections[0]), new ReferenceBox(new BoundingBox(500, 500, 520, 520), 0) };
        var result = cam.Explain(x, CamTarget.Boxes(new[] { boxes }));
        Assert.Equal(detections[0].Score + 1, result.Scores[0].item<float>(), 4); // matched at IoU 1
        Assert.Equal(0f, result.Scores[1].item<float>()); // nothing there: score 0, no gradient
        Assert.Equal(0f, result.Maps[1].abs().max().item<float>());
        var warning = Assert.Single(logger.Messages, m => m.Contains("all-zero gradients"));
        Assert.StartsWith("Row(s) 1 of 2 have all-zero gradients at layer 'block5'", warning);
        Assert.Contains("no anchor predicting its class overlaps it", warning);
    }

    [Fact]
    public void OneBoxForEveryImageGivesOneMapPerImage()
    {
        using var scope = NewDisposeScope();
        var (model, x, detections) = SeededDetector();
        using var _ = model;
        using var cam = new EigenCam(model, "block5");
        var result = cam.Explain(cat(new[] { x, x.flip(3) }), CamTarget.Box(detections[0].Box, detections[0].ClassIndex));
        Assert.Equal(new long[] { 2, 64, 64 }, result.Maps.shape);
        Assert.Equal(detections[0].Score + 1, result.Scores[0].item<float>(), 4);
    }
}
