using DecomCamNet.Detection;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Detection;

/// <summary>
/// Decode and suppression on a hand-worked example: four anchors, two classes. Anchor 0 is the box (6,6)-(14,14) of
/// class 0 at 0.9; anchor 1 the box (7,6)-(15,14), IoU 56/72 = 0.778 with it, of class 0 at 0.8 (suppressed); anchor 2
/// the same box as anchor 1 but of class 1 at 0.7 (kept: suppression is class-wise); anchor 3 the box (35,30)-(45,50)
/// of class 1 at 0.3 (kept above the 0.25 threshold).
/// </summary>
public class DetectionDecoderTests
{
    // Per anchor: cx, cy, w, h, then the class scores.
    private static readonly float[][] Anchors =
    {
        new[] { 10f, 10f, 8f, 8f, 0.9f, 0.1f },
        new[] { 11f, 10f, 8f, 8f, 0.8f, 0.05f },
        new[] { 11f, 10f, 8f, 8f, 0.1f, 0.7f },
        new[] { 40f, 40f, 10f, 20f, 0.2f, 0.3f },
    };

    private static Tensor YoloV8Output() => tensor(Anchors.SelectMany(a => a).ToArray(), new long[] { 1, 4, 6 }).transpose(1, 2).contiguous();

    /// <summary>The same predictions as YOLOv5 rows: objectness 1 except anchor 3 (0.5, class 1 at 0.6: score 0.3).</summary>
    private static Tensor YoloV5Output()
    {
        var rows = Anchors.Select((a, i) => i == 3
            ? new[] { a[0], a[1], a[2], a[3], 0.5f, 0.4f, 0.6f }
            : new[] { a[0], a[1], a[2], a[3], 1f, a[4], a[5] }).SelectMany(r => r).ToArray();
        return tensor(rows, new long[] { 1, 4, 7 });
    }

    private static readonly DetectedBox[] Expected =
    {
        new(0, 0, 0.9f, new BoundingBox(6, 6, 14, 14)),
        new(2, 1, 0.7f, new BoundingBox(7, 6, 15, 14)),
        new(3, 1, 0.3f, new BoundingBox(35, 30, 45, 50)),
    };

    private static void Same(IReadOnlyList<DetectedBox> expected, IReadOnlyList<DetectedBox> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Anchor, actual[i].Anchor);
            Assert.Equal(expected[i].ClassIndex, actual[i].ClassIndex);
            Assert.Equal(expected[i].Score, actual[i].Score, 6);
            Assert.Equal(expected[i].Box, actual[i].Box);
        }
    }

    [Fact]
    public void DecodesYoloV8ToCornersAndScores()
    {
        using var scope = NewDisposeScope();
        var d = DetectionDecoder.Decode(YoloV8Output(), DetectionLayout.YoloV8);
        Assert.Equal(new long[] { 1, 4, 4 }, d.Boxes.shape);
        Assert.Equal(new long[] { 1, 4, 2 }, d.Scores.shape);
        Assert.Equal(new[] { 35f, 30f, 45f, 50f }, d.Boxes[0, 3].data<float>().ToArray());
        Assert.Equal(new[] { 0.1f, 0.7f }, d.Scores[0, 2].data<float>().ToArray());
    }

    [Fact]
    public void YoloV5ScoresAreClassTimesObjectness()
    {
        using var scope = NewDisposeScope();
        var d = DetectionDecoder.Decode(YoloV5Output(), DetectionLayout.YoloV5);
        Assert.Equal(new long[] { 1, 4, 2 }, d.Scores.shape);
        var s = d.Scores[0, 3].data<float>().ToArray();
        Assert.Equal(0.2f, s[0], 6);
        Assert.Equal(0.3f, s[1], 6);
    }

    [Fact]
    public void DetectKeepsTheHandWorkedBoxesInBothLayouts()
    {
        using var scope = NewDisposeScope();
        Same(Expected, DetectionDecoder.Detect(DetectionDecoder.Decode(YoloV8Output(), DetectionLayout.YoloV8))[0]);
        Same(Expected, DetectionDecoder.Detect(DetectionDecoder.Decode(YoloV5Output(), DetectionLayout.YoloV5))[0]);
    }

    [Fact]
    public void ThresholdsAndTheCapApply()
    {
        using var scope = NewDisposeScope();
        var d = DetectionDecoder.Decode(YoloV8Output(), DetectionLayout.YoloV8);
        Same(Expected.Take(2).ToArray(), DetectionDecoder.Detect(d, new DetectionOptions { ConfidenceThreshold = 0.35f })[0]);
        Same(Expected.Take(1).ToArray(), DetectionDecoder.Detect(d, new DetectionOptions { MaxDetections = 1 })[0]);
        Assert.Empty(DetectionDecoder.Detect(d, new DetectionOptions { ConfidenceThreshold = 0.95f })[0]);
        // IoU 0.778 is not above 0.8: anchor 1 survives beside anchor 0.
        var loose = DetectionDecoder.Detect(d, new DetectionOptions { IouThreshold = 0.8f })[0];
        Assert.Equal(new[] { 0, 1, 2, 3 }, loose.Select(x => x.Anchor).ToArray());
    }

    [Fact]
    public void ClassAgnosticSuppressionRemovesTheOtherClassToo()
    {
        using var scope = NewDisposeScope();
        var d = DetectionDecoder.Decode(YoloV8Output(), DetectionLayout.YoloV8);
        var keep = NonMaxSuppression.Keep(d.Boxes[0], d.Scores[0].amax(new long[] { 1 }), 0.45);
        Assert.Equal(new long[] { 0, 3 }, keep.data<long>().ToArray());
        var iou = BoxOps.Iou(d.Boxes[0].narrow(0, 0, 1), d.Boxes[0].narrow(0, 1, 1)).item<float>();
        Assert.Equal(56f / 72f, iou, 6);
    }

    [Theory]
    [InlineData(new long[] { 1, 12, 256 }, null, DetectionLayout.YoloV8)]
    [InlineData(new long[] { 1, 256, 13 }, null, DetectionLayout.YoloV5)]
    [InlineData(new long[] { 1, 6, 4 }, 2, DetectionLayout.YoloV8)]
    [InlineData(new long[] { 1, 4, 7 }, 2, DetectionLayout.YoloV5)]
    public void InfersTheLayoutWhenTheShapeTells(long[] shape, int? classes, DetectionLayout expected) =>
        Assert.Equal(expected, DetectionDecoder.InferLayout(shape, classes));

    [Theory]
    [InlineData(new long[] { 1, 12, 12 }, null, "cannot be told")]
    [InlineData(new long[] { 1, 12, 13 }, 8, "fits both")]
    [InlineData(new long[] { 1, 12, 256 }, 3, "fits neither")]
    [InlineData(new long[] { 12, 256 }, null, "[N,4+K,A]")]
    public void AmbiguousOrWrongShapesThrowAClearError(long[] shape, int? classes, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => DetectionDecoder.InferLayout(shape, classes));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void ATooNarrowOutputIsRefused()
    {
        using var scope = NewDisposeScope();
        var e = Assert.Throws<ArgumentException>(() => DetectionDecoder.Decode(zeros(1, 10, 5), DetectionLayout.YoloV5));
        Assert.Contains("at least 6 values per anchor", e.Message);
    }

    [Fact]
    public void BoxSelectionTakesTheDetectionsWithTheirScoresOrTheGivenBoxesWithTheClassPredictedThere()
    {
        using var scope = NewDisposeScope();
        var decoded = DetectionDecoder.Decode(YoloV8Output(), DetectionLayout.YoloV8);
        var detected = Assert.Single(BoxSelection.Select(decoded));
        Assert.Equal(Expected.Select(d => new SelectedBox(new ReferenceBox(d.Box, d.ClassIndex), d.Score)), detected);
        // (36,31)-(44,49) overlaps anchor 3 most (class 1 there); (6,6)-(14,13) anchor 0 (class 0); a given class is kept.
        var given = Assert.Single(BoxSelection.Select(decoded, given: [new GivenBox(new BoundingBox(36, 31, 44, 49)), new GivenBox(new BoundingBox(6, 6, 14, 13)),
            new GivenBox(new BoundingBox(6, 6, 14, 13), 1)]));
        Assert.Equal(new int[] { 1, 0, 1 }, given.Select(b => b.Reference.ClassIndex));
        Assert.All(given, b => Assert.Null(b.DetectionScore));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => BoxSelection.Select(decoded, given: [new GivenBox(new BoundingBox(1, 1, 5, 5), 2)]));
        Assert.Contains("asks for class 2: the detector has 2 classes (valid 0..1)", e.Message);
    }
}
