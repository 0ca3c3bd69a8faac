using DecomCamNet.Detection;
using DecomCamNet.Evaluation.Scenes;
using DecomCamNet.Evaluation.Training;
using DecomCamNet.Models;
using DecomCamNet.Tests.Support;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Evaluation;

/// <summary>
/// The detector trainer on a few steps (deterministic for a seed, a consistent report, bad options named), the scenes'
/// true boxes, and the centre-based assignment. (The bundled weights come from the run recorded in reference/demo_model.md.)
/// </summary>
[Collection(GlobalRngCollection.Name)]
public class DetectionTrainerTests
{
    private static readonly DetectionTrainingOptions Tiny = new(Seed: 5, Steps: 3, BatchSize: 4, HeldOut: 6);

    private static float[] Weights(SceneDet model) => model.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray();

    [Fact]
    public void TheSameSeedGivesTheSameWeightsAndAConsistentReport()
    {
        var (a, reportA) = DetectionTrainer.Train(Tiny);
        var (b, reportB) = DetectionTrainer.Train(Tiny);
        using (a)
        using (b)
        {
            Assert.Equal(Weights(a), Weights(b));
            Assert.Equal(reportA.FinalLoss, reportB.FinalLoss);
            Assert.False(a.training);
        }
        Assert.Equal(6, reportA.Scenes);
        Assert.True(double.IsFinite(reportA.FinalLoss) && reportA.FinalLoss > 0);
        Assert.InRange(reportA.Map50, 0, 1);
        Assert.Equal(SceneShapes.Classes.Count, reportA.ClassAp50.Count);
    }

    [Fact]
    public void BadOptionsAreNamed()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => DetectionTrainer.Train(Tiny with { BatchSize = 0 }));
        Assert.Contains("DetectionTrainingOptions.BatchSize", e.Message);
    }

    [Fact]
    public void TrueBoxesAreTheVisibleMasksBoundingBoxes()
    {
        var scene = new SceneGenerator(3).Generate(7);
        var boxes = scene.TrueBoxes();
        var visible = scene.Objects.Where(o => o.PixelCount > 0).ToArray();
        Assert.Equal(visible.Length, boxes.Count);
        for (int i = 0; i < boxes.Count; i++)
        {
            var (x, y, w, h) = SceneObject.BoundingBox(visible[i].Mask, scene.Size);
            Assert.Equal(new BoundingBox(x, y, x + w, y + h), boxes[i].Box);
            Assert.Equal(visible[i].ClassIndex, boxes[i].ClassIndex);
        }
    }

    [Fact]
    public void EachBoxIsThePositiveOfItsCentreCell()
    {
        using var scope = NewDisposeScope();
        // Centre (20, 44) lies in cell (2, 5) of a stride-8 grid of 16x16: anchor 5 * 16 + 2 = 82.
        var truth = new[] { new ReferenceBox(new BoundingBox(10, 30, 30, 58), 3) };
        var (classes, weights, boxes, positive) = new DetectionTargets(new[] { truth }, 8, 16, 8).ToTensors(CPU);
        Assert.Equal(new long[] { 82 }, positive[0].nonzero().flatten().data<long>().ToArray());
        Assert.Equal(1f, classes[0, 3, 5, 2].item<float>());
        Assert.Equal(1f, classes.sum().item<float>());
        Assert.Equal(new[] { 10f, 30f, 30f, 58f }, boxes[0, 82].data<float>().ToArray());
        Assert.Equal(8L, weights[0, 3].eq(0).sum().item<long>()); // its class ignored in the 8 cells around the centre
        Assert.Equal(0L, weights[0, 2].eq(0).sum().item<long>());
    }
}
