using DecomCamNet.Evaluation.Runs;
using DecomCamNet.Models;
using DecomCamNet.Tests.Support;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Evaluation;

/// <summary><see cref="DetectionEvaluation"/>: a method that refuses a scene counts it as failed and the run goes on.</summary>
public sealed class DetectionEvaluationTests
{
    /// <summary>scenedet with its output cut off from the gradient (the same values, an all-zero gradient for every box).</summary>
    private sealed class NoGradient : nn.Module<Tensor, Tensor>
    {
        private readonly SceneDet block;

        public NoGradient(SceneDet inner) : base("nogradient")
        {
            block = inner;
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            var output = block.call(x);
            return output.detach().add(output.mul(0f));
        }
    }

    [Fact]
    public void ScenesWithAllZeroGradientsCountAsFailedAndTheOtherMethodsGoOn()
    {
        var detector = new SceneDet();
        StateDictLoader.Load(detector, Path.Combine(RepoPaths.Root, "DecomCam.Cli", "assets", "scenedet.safetensors"));
        using var model = new NoGradient(detector);
        model.eval();
        var results = DetectionEvaluation.Run(model, new DetectionEvaluationOptions { Methods = ["gradcam", "eigencam"], Layers = ["block.block5"], Count = 3, Bins = 2 });
        int scenesWithDetections = results.Scenes - results.ScenesWithoutDetections;
        Assert.True(scenesWithDetections > 0);
        Assert.Equal(new[] { scenesWithDetections, 0 }, results.FailedScenes);
        Assert.DoesNotContain(results.Rows, r => r.Method == "gradcam");
        Assert.Equal(results.Detections, results.Rows.Count(r => r.Method == "eigencam"));
        Assert.Equal(0, results.Summary("gradcam", 0).Count);
        Assert.InRange(results.Summary("eigencam", 2).Mean, 0.05, 1);
        Assert.Contains($"| gradcam | - | - | - | 0 | 0 | {scenesWithDetections} | 0 |", results.Markdown());
        Assert.Throws<ArgumentOutOfRangeException>(() => results.Summary("eigencam", 3));
    }
}
