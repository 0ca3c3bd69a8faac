using System.Text.Json;
using DecomCamNet.Detection;
using DecomCamNet.Tests.Support;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Detection;

/// <summary>
/// Box IoU and (class-wise) non-maximum suppression against torchvision.ops.box_iou, nms and batched_nms, run by
/// Debian's torchvision 0.14 on the boxes stored beside the results (reference/detection_reference.py).
/// </summary>
public class DetectionGoldenTests
{
    private static readonly JsonElement Golden = JsonDocument.Parse(File.ReadAllText(RepoPaths.Golden("detection", "ops.json"))).RootElement;

    private static float[][] Rows(string key) =>
        Golden.GetProperty(key).EnumerateArray().Select(r => r.EnumerateArray().Select(e => (float)e.GetDouble()).ToArray()).ToArray();

    private static Tensor Boxes(string key)
    {
        var rows = Rows(key);
        return tensor(rows.SelectMany(r => r).ToArray(), new long[] { rows.Length, 4 });
    }

    private static long[] Longs(string key) => Golden.GetProperty(key).EnumerateArray().Select(e => e.GetInt64()).ToArray();

    [Fact]
    public void BoxIouMatchesTorchvision()
    {
        using var scope = NewDisposeScope();
        var expected = Rows("box_iou");
        var actual = BoxOps.Iou(Boxes("iou_a"), Boxes("iou_b"));
        Assert.Equal(new long[] { expected.Length, expected[0].Length }, actual.shape);
        var a = actual.data<float>().ToArray();
        int nonzero = 0;
        for (int i = 0; i < expected.Length; i++)
            for (int j = 0; j < expected[0].Length; j++)
            {
                Assert.True(Math.Abs(expected[i][j] - a[i * expected[0].Length + j]) <= 1e-6f, $"[{i},{j}] expected {expected[i][j]}, got {a[i * expected[0].Length + j]}");
                if (expected[i][j] > 0) nonzero++;
            }
        Assert.True(nonzero >= 5, $"only {nonzero} overlapping pairs: the case checks too little");
    }

    [Theory]
    [InlineData(0.3)]
    [InlineData(0.5)]
    [InlineData(0.7)]
    public void NmsMatchesTorchvision(double threshold)
    {
        using var scope = NewDisposeScope();
        var boxes = Boxes("nms_boxes");
        var scores = tensor(Golden.GetProperty("nms_scores").EnumerateArray().Select(e => (float)e.GetDouble()).ToArray());
        var classes = tensor(Longs("nms_classes"));
        var key = threshold.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture);
        var plain = Longs($"nms_keep_{key}");
        var byClass = Longs($"batched_nms_keep_{key}");
        Assert.True(plain.Length < boxes.shape[0] && byClass.Length > plain.Length, "the case must suppress some boxes, and fewer per class");
        Assert.Equal(plain, NonMaxSuppression.Keep(boxes, scores, threshold).data<long>().ToArray());
        Assert.Equal(byClass, NonMaxSuppression.Keep(boxes, scores, threshold, classes).data<long>().ToArray());
    }
}
