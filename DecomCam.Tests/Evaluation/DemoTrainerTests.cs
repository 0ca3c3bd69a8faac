using DecomCamNet.Evaluation.Scenes;
using DecomCamNet.Evaluation.Training;
using DecomCamNet.Models;
using DecomCamNet.Tests.Support;

namespace DecomCamNet.Tests.Evaluation;

/// <summary>
/// The demo-model trainer on a few steps: deterministic for a seed, different for another seed, nothing left alive,
/// the report's arithmetic, and bad options rejected by name. (The bundled weights come from the full default run,
/// recorded in reference/demo_model.md.)
/// </summary>
[Collection(GlobalRngCollection.Name)]
public class DemoTrainerTests
{
    private static readonly DemoTrainingOptions Tiny = new(Seed: 5, Steps: 3, BatchSize: 4, HeldOut: 6);

    private static float[] Weights(TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor> model) =>
        model.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray();

    [Fact]
    public void TheSameSeedGivesTheSameWeightsAndReport()
    {
        var (a, reportA) = DemoTrainer.Train(Tiny);
        var (b, reportB) = DemoTrainer.Train(Tiny);
        using (a)
        using (b)
        {
            Assert.Equal(Weights(a), Weights(b));
            Assert.Equal(reportA.FinalLoss, reportB.FinalLoss);
            Assert.Equal(reportA.ClassRecall, reportB.ClassRecall);
            Assert.False(a.training);
        }
    }

    [Fact]
    public void TheVitTrainsAndItsLossFalls()
    {
        // The first two steps (at a 25th of the peak rate) give the loss at the random initialisation; the mean over 30 steps falls below it as the
        // classifier learns at least the label frequencies (seen: 0.73 against 0.57).
        var vit = DemoTrainingOptions.Vit with { Seed = 5, BatchSize = 8, HeldOut = 4 };
        var (first, firstReport) = DemoTrainer.Train(vit with { Steps = 2 });
        var (trained, trainedReport) = DemoTrainer.Train(vit with { Steps = 30 });
        using (first)
        using (trained)
        {
            Assert.IsType<VisionTransformer>(trained);
            Assert.Equal(VisionTransformerConfig.SceneVit, ((VisionTransformer)trained).Config);
            Assert.True(trainedReport.FinalLoss < firstReport.FinalLoss - 0.05,
                $"the mean loss of 30 steps ({trainedReport.FinalLoss:F4}) is not below the first step's ({firstReport.FinalLoss:F4})");
        }
    }

    [Fact]
    public void AnotherSeedGivesOtherWeights()
    {
        var (a, _) = DemoTrainer.Train(Tiny);
        var (b, _) = DemoTrainer.Train(Tiny with { Seed = 6 });
        using (a)
        using (b)
            Assert.NotEqual(Weights(a), Weights(b));
    }

    [Fact]
    public void TheReportIsConsistentAndNothingIsLeftAlive()
    {
        long before = TestTensors.LiveTensors;
        long untrained;
        using (new SceneNet()) untrained = TestTensors.LiveTensors - before; // parameters, buffers and what creating them leaves
        before = TestTensors.LiveTensors;
        var (model, report) = DemoTrainer.Train(Tiny);
        Assert.True(TestTensors.LiveTensors - before <= untrained, $"{TestTensors.LiveTensors - before} tensors alive after training, {untrained} for an untrained model");
        model.Dispose();

        Assert.Equal(6, report.Scenes);
        Assert.True(double.IsFinite(report.FinalLoss) && report.FinalLoss > 0);
        Assert.InRange(report.TopClassAccuracy, 0, 1);
        Assert.InRange(report.LabelAccuracy, 0, 1);
        Assert.True(report.ExactMatch <= report.LabelAccuracy + 1e-12, "an exact label set implies every label right");
        Assert.Equal(SceneShapes.Classes.Count, report.ClassRecall.Count);
        Assert.All(report.ClassRecall, r => Assert.True(double.IsNaN(r) || r is >= 0 and <= 1));
    }

    [Fact]
    public void MeasureCountsTopClassHitsExactly()
    {
        // A "model" that always answers the first class of each scene's label vector: top-class accuracy 1.
        var scenes = new SceneGenerator(3);
        using var oracle = new OracleNet(scenes);
        var report = DemoTrainer.Measure(oracle, 3, 12);
        Assert.Equal(1.0, report.TopClassAccuracy);
        Assert.Equal(1.0, report.ExactMatch);
        Assert.Equal(1.0, report.LabelAccuracy);
        Assert.True(double.IsNaN(report.FinalLoss));
    }

    [Theory]
    [InlineData("Steps")]
    [InlineData("BatchSize")]
    [InlineData("HeldOut")]
    [InlineData("MaxLearningRate")]
    public void BadOptionsAreRejectedByName(string option)
    {
        var bad = option switch
        {
            "Steps" => Tiny with { Steps = 0 },
            "BatchSize" => Tiny with { BatchSize = -1 },
            "HeldOut" => Tiny with { HeldOut = 0 },
            _ => Tiny with { MaxLearningRate = double.NaN },
        };
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => DemoTrainer.Train(bad));
        Assert.Equal(option, e.ParamName);
        Assert.Contains($"DemoTrainingOptions.{option}", e.Message);
    }

    /// <summary>Answers each held-out scene with its true labels (as +-10 logits), looked up by the scene's pixels.</summary>
    private sealed class OracleNet : TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor>
    {
        private readonly SceneGenerator _scenes;
        private int _next;

        public OracleNet(SceneGenerator scenes) : base("oracle") => _scenes = scenes;

        public override TorchSharp.torch.Tensor forward(TorchSharp.torch.Tensor input)
        {
            int n = (int)input.shape[0], classes = SceneShapes.Classes.Count;
            var logits = new float[n * classes];
            for (int i = 0; i < n; i++)
            {
                var labels = _scenes.Generate(DemoTrainer.HeldOutIndexBase + _next++).LabelVector(classes);
                for (int c = 0; c < classes; c++) logits[i * classes + c] = labels[c] > 0 ? 10f : -10f;
            }
            return TorchSharp.torch.tensor(logits, new long[] { n, classes });
        }
    }
}
