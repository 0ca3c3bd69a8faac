using DecomCamNet.Detection;
using DecomCamNet.Evaluation.Metrics;

namespace DecomCamNet.Tests.Evaluation;

/// <summary>
/// mAP@0.5 on a hand-worked case: class 0 has two true boxes A and B; its detections are A itself (0.9, hit), a box
/// far from both (0.8, miss), B shifted by 1 px (0.7, IoU 81/99 = 0.82, hit) and A again (0.6, a duplicate: miss).
/// Precision 1, 1/2, 2/3, 2/4 at recall 1/2, 1/2, 1, 1; made non-increasing 1, 2/3, 2/3, 1/2; AP = 1/2 · 1 + 1/2 · 2/3 = 5/6.
/// Class 1 has no true box (NaN, left out of the mean); class 2 has one and no detection (AP 0).
/// </summary>
public class MeanAveragePrecisionTests
{
    private static readonly BoundingBox A = new(0, 0, 10, 10), B = new(20, 20, 30, 30);

    [Fact]
    public void AveragePrecisionFollowsTheHandWorkedCurve()
    {
        var detections = new[]
        {
            new DetectedBox(0, 0, 0.9f, A),
            new DetectedBox(1, 0, 0.8f, new BoundingBox(50, 50, 60, 60)),
            new DetectedBox(2, 0, 0.7f, new BoundingBox(21, 20, 31, 30)),
            new DetectedBox(3, 0, 0.6f, A),
            new DetectedBox(4, 1, 0.5f, B),
        };
        var truths = new[] { new ReferenceBox(A, 0), new ReferenceBox(B, 0), new ReferenceBox(new BoundingBox(70, 70, 80, 80), 2) };
        var (map, perClass) = MeanAveragePrecision.Compute(new[] { detections }, new[] { truths }, classes: 3);
        Assert.Equal(5.0 / 6, perClass[0], 10);
        Assert.True(double.IsNaN(perClass[1]));
        Assert.Equal(0, perClass[2]);
        Assert.Equal(5.0 / 12, map, 10);
    }

    [Fact]
    public void AnIouBelowTheThresholdIsAMiss()
    {
        // IoU of (0,0)-(10,10) with (5,0)-(15,10) is 50/150 = 1/3.
        var detections = new[] { new DetectedBox(0, 0, 0.9f, new BoundingBox(5, 0, 15, 10)) };
        var truths = new[] { new ReferenceBox(A, 0) };
        Assert.Equal(0, MeanAveragePrecision.Compute(new[] { detections }, new[] { truths }, 1).Map);
        Assert.Equal(1, MeanAveragePrecision.Compute(new[] { detections }, new[] { truths }, 1, iouThreshold: 0.3).Map);
        Assert.Equal(1.0 / 3, MeanAveragePrecision.Iou(A, new BoundingBox(5, 0, 15, 10)), 10);
    }

    [Fact]
    public void MismatchedInputsAreRefused()
    {
        Assert.Throws<ArgumentException>(() => MeanAveragePrecision.Compute(new[] { Array.Empty<DetectedBox>() }, Array.Empty<ReferenceBox[]>(), 1));
        Assert.Throws<ArgumentException>(() => MeanAveragePrecision.Compute(new[] { new[] { new DetectedBox(0, 3, 1f, A) } }, new[] { Array.Empty<ReferenceBox>() }, 2));
    }
}
