using DecomCamNet.Detection;
using DecomCamNet.Evaluation.Metrics;
using DecomCamNet.Evaluation.Scenes;
using DecomCamNet.Models;
using DecomCamNet.Native;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet.Evaluation.Training;

/// <summary>
/// Trains the demo detector: a <see cref="SceneDet"/> on the <see cref="SceneGenerator"/>'s default scenes (several
/// objects each, occlusion and clutter as the generator makes them; a share of <see cref="SceneOptions.Easy"/> ones),
/// true boxes from the objects' visible masks (<see cref="Scene.TrueBoxes"/>), centre-based assignment
/// (<see cref="DetectionTargets"/>). The loss per assigned cell: binary cross-entropy of the class logits over every
/// cell and class (summed, divided by the number of assigned cells; the cells around a centre are ignored for its
/// class), the L1 distance of the predicted corners to the true ones in units of <see cref="SceneDet.BoxPrior"/>, and
/// twice (1 − IoU). AdamW with a one-cycle learning rate, fresh scenes every step; deterministic for a seed on one
/// machine and thread count, as <see cref="DemoTrainer"/>.
/// </summary>
public static class DetectionTrainer
{
    /// <summary>How the held-out report detects: a low confidence threshold, as mAP is measured.</summary>
    public static DetectionOptions HeldOutDetection { get; } = new() { ConfidenceThreshold = 0.01f, IouThreshold = 0.45f, MaxDetections = 100 };

    private const int HeldOutBatch = 50;
    private static readonly Scalar BoxScale = (1f / SceneDet.BoxPrior).ToScalar();

    /// <summary>Trains a new <see cref="SceneDet"/> and measures its mAP@0.5 on held-out scenes.</summary>
    /// <param name="options">What to train; null means the defaults (the bundled model's settings).</param>
    /// <param name="device">Where to train; null means the CPU.</param>
    /// <param name="progress">Reports every 100 steps and at the end.</param>
    /// <param name="logger">Logs the loss every 100 steps and the held-out report.</param>
    /// <param name="cancellationToken">Checked before every step.</param>
    /// <returns>The trained model (evaluation mode; the caller owns it) and its held-out report.</returns>
    public static (SceneDet Model, DetectionHeldOutReport Report) Train(
        DetectionTrainingOptions? options = null, Device? device = null, IProgress<DemoTrainingProgress>? progress = null,
        ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        options ??= new DetectionTrainingOptions();
        options.Validate();
        logger ??= NullLogger.Instance;
        device ??= CPU;
        var scenes = new SceneGenerator(options.Seed);
        torch.random.manual_seed(options.Seed);
        var model = new SceneDet(SceneShapes.Classes.Count, device);
        try
        {
            double finalLoss = Fit(model, scenes, options, device, progress, logger, cancellationToken);
            model.eval();
            var report = Measure(model, scenes, options.HeldOut, device) with { FinalLoss = finalLoss };
            logger.LogInformation("Held-out ({Scenes} scenes): mAP@0.5 {Map:P1}", report.Scenes, report.Map50);
            return (model, report);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Measures a detector (YOLOv8 layout, <see cref="SceneShapes.Classes"/>) on held-out scenes of <paramref name="seed"/>.</summary>
    /// <param name="model">The detector; run in evaluation mode.</param>
    /// <param name="seed">The scene seed it was trained with.</param>
    /// <param name="count">Held-out scenes (indices from <see cref="DemoTrainer.HeldOutIndexBase"/>).</param>
    /// <param name="device">The model's device; null means the CPU.</param>
    /// <returns>The report, with <see cref="DetectionHeldOutReport.FinalLoss"/> NaN.</returns>
    public static DetectionHeldOutReport Measure(nn.Module<Tensor, Tensor> model, int seed, int count, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        return Measure(model, new SceneGenerator(seed), count, device ?? CPU);
    }

    private static double Fit(SceneDet model, SceneGenerator scenes, DetectionTrainingOptions options, Device device,
        IProgress<DemoTrainingProgress>? progress, ILogger logger, CancellationToken cancellationToken)
    {
        int classes = (int)model.NumClasses;
        var easy = new SceneGenerator(scenes.Seed, SceneOptions.Easy);
        int easyCount = (int)Math.Round(options.EasyFraction * options.BatchSize);
        int grid = scenes.Options.Size / SceneDet.Stride;
        return SceneTrainingLoop.Fit(model, options.Steps, options.BatchSize, options.MaxLearningRate, options.WeightDecay,
            start =>
            {
                var batch = SceneBatch.Generate(scenes, start, options.BatchSize, classes, easy, easyCount);
                return (Scenes: batch, Targets: new DetectionTargets(batch.Scenes.Select(s => s.TrueBoxes()).ToArray(), classes, grid, SceneDet.Stride));
            },
            b => Loss(model, b.Scenes.Inputs(device), b.Targets, device), nameof(DetectionTrainingOptions), progress, logger, cancellationToken);
    }

    /// <summary>The class, L1 and IoU losses of a batch (see the class summary).</summary>
    private static Tensor Loss(SceneDet model, Tensor inputs, DetectionTargets targets, Device device)
    {
        var (classes, weights, trueBoxes, positive) = targets.ToTensors(device);
        var raw = model.Raw(inputs);
        using var count = Math.Max(1, targets.Positives).ToScalar();
        var classLoss = nn.functional.binary_cross_entropy_with_logits(raw.narrow(1, 4, raw.shape[1] - 4), classes, weights, reduction: nn.Reduction.Sum);
        var boxes = BoxOps.CxcywhToXyxy(SceneDet.Decode(raw).narrow(1, 0, 4).transpose(1, 2)).flatten(0, 1);
        var at = positive.flatten().nonzero().flatten();
        var predicted = boxes.index_select(0, at);
        var truth = trueBoxes.flatten(0, 1).index_select(0, at);
        var l1 = (predicted - truth).abs().sum().mul(BoxScale);
        var iouLoss = OwnedScalarOps.OneMinus(BoxOps.PairIou(predicted, truth)).sum();
        return classLoss.add(l1, CachedScalars.One).add(iouLoss, CachedScalars.Two).div(count);
    }

    private static DetectionHeldOutReport Measure(nn.Module<Tensor, Tensor> model, SceneGenerator scenes, int count, Device device)
    {
        int classes = SceneShapes.Classes.Count;
        var detections = new List<IReadOnlyList<DetectedBox>>();
        var truths = new List<IReadOnlyList<ReferenceBox>>();
        using var noGrad = no_grad();
        for (int start = 0; start < count; start += HeldOutBatch)
        {
            int n = Math.Min(HeldOutBatch, count - start);
            var batch = SceneBatch.Generate(scenes, DemoTrainer.HeldOutIndexBase + start, n, classes);
            using (NewDisposeScope())
            {
                var output = model.call(batch.Inputs(device));
                detections.AddRange(DetectionDecoder.Detect(DetectionDecoder.Decode(output, DetectionLayout.YoloV8), HeldOutDetection));
            }
            truths.AddRange(batch.Scenes.Select(s => s.TrueBoxes()));
        }
        var (map, perClass) = MeanAveragePrecision.Compute(detections, truths, classes);
        return new DetectionHeldOutReport(count, map, perClass, double.NaN);
    }
}
