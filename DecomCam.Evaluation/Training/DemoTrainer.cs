using DecomCamNet.Evaluation.Scenes;
using DecomCamNet.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet.Evaluation.Training;

/// <summary>
/// Trains a bundled demo model: a <see cref="SceneNet"/> or a small <see cref="VisionTransformer"/>
/// (<see cref="DemoTrainingOptions.Architecture"/>) on the <see cref="SceneGenerator"/>'s default scenes (with a
/// share of <see cref="SceneOptions.Easy"/> ones), one
/// logit per shape class, multi-label (binary cross-entropy), AdamW with a one-cycle learning rate, fresh scenes every
/// step. Deterministic for a seed on one machine and thread count (libtorch's CPU reductions may round differently
/// elsewhere, so weights from another machine match closely, not bit for bit). The weights are initialised from torch's
/// process-wide generator, seeded with the seed: do not draw random numbers on other threads while it starts.
/// </summary>
public static class DemoTrainer
{
    /// <summary>The first scene index used for training (per seed).</summary>
    public const int TrainIndexBase = 10_000_000;

    /// <summary>The first scene index used for the held-out report (per seed).</summary>
    public const int HeldOutIndexBase = 20_000_000;

    private const int HeldOutBatch = 100;

    /// <summary>Trains a new demo model (<see cref="SceneNet"/>, or <see cref="VisionTransformer"/> with
    /// <see cref="VisionTransformerConfig.SceneVit"/>) and measures it on held-out scenes.</summary>
    /// <param name="options">What to train; null means the defaults (the bundled model's settings).</param>
    /// <param name="device">Where to train; null means the CPU.</param>
    /// <param name="progress">Reports every 100 steps and at the end.</param>
    /// <param name="logger">Logs the loss every 100 steps and the held-out report.</param>
    /// <param name="cancellationToken">Checked before every step.</param>
    /// <returns>The trained model (evaluation mode; the caller owns it) and its held-out report.</returns>
    public static (nn.Module<Tensor, Tensor> Model, DemoHeldOutReport Report) Train(
        DemoTrainingOptions? options = null, Device? device = null, IProgress<DemoTrainingProgress>? progress = null,
        ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        options ??= new DemoTrainingOptions();
        options.Validate();
        logger ??= NullLogger.Instance;
        device ??= CPU;
        int classes = SceneShapes.Classes.Count;
        var scenes = new SceneGenerator(options.Seed);

        torch.random.manual_seed(options.Seed);
        nn.Module<Tensor, Tensor> model = options.Architecture == DemoArchitecture.Vit
            ? new VisionTransformer(VisionTransformerConfig.SceneVit with { NumClasses = classes }, device)
            : new SceneNet(classes, device);
        try
        {
            double finalLoss = Fit(model, scenes, options, device, progress, logger, cancellationToken);
            model.eval();
            var report = Measure(model, scenes, options.HeldOut, device, finalLoss);
            logger.LogInformation("Held-out ({Scenes} scenes): top-class accuracy {Top:P1}, exact match {Exact:P1}, label accuracy {Label:P1}",
                report.Scenes, report.TopClassAccuracy, report.ExactMatch, report.LabelAccuracy);
            return (model, report);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Measures a trained model on held-out scenes of <paramref name="seed"/>.</summary>
    /// <param name="model">A model with one logit per <see cref="SceneShapes.Classes"/> entry; run in evaluation mode.</param>
    /// <param name="seed">The scene seed the model was trained with.</param>
    /// <param name="count">Held-out scenes (indices from <see cref="HeldOutIndexBase"/>).</param>
    /// <param name="device">The model's device; null means the CPU.</param>
    /// <returns>The report, with <see cref="DemoHeldOutReport.FinalLoss"/> NaN.</returns>
    public static DemoHeldOutReport Measure(nn.Module<Tensor, Tensor> model, int seed, int count, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        return Measure(model, new SceneGenerator(seed), count, device ?? CPU, double.NaN);
    }

    private static double Fit(nn.Module<Tensor, Tensor> model, SceneGenerator scenes, DemoTrainingOptions options, Device device,
        IProgress<DemoTrainingProgress>? progress, ILogger logger, CancellationToken cancellationToken)
    {
        int classes = SceneShapes.Classes.Count;
        var easy = new SceneGenerator(scenes.Seed, SceneOptions.Easy);
        int easyCount = (int)Math.Round(options.EasyFraction * options.BatchSize);
        return SceneTrainingLoop.Fit(model, options.Steps, options.BatchSize, options.MaxLearningRate, options.WeightDecay,
            start => SceneBatch.Generate(scenes, start, options.BatchSize, classes, easy, easyCount),
            batch =>
            {
                var (inputs, labels) = batch.ToTensors(device);
                return nn.functional.binary_cross_entropy_with_logits(model.call(inputs), labels);
            }, nameof(DemoTrainingOptions), progress, logger, cancellationToken);
    }

    private static DemoHeldOutReport Measure(nn.Module<Tensor, Tensor> model, SceneGenerator scenes, int count, Device device, double finalLoss)
    {
        int classes = SceneShapes.Classes.Count;
        int top = 0, exact = 0, labelRight = 0;
        var truePositive = new int[classes];
        var present = new int[classes];
        var predicted = new int[classes];
        using var noGrad = no_grad();
        for (int start = 0; start < count; start += HeldOutBatch)
        {
            int n = Math.Min(HeldOutBatch, count - start);
            var batch = SceneBatch.Generate(scenes, HeldOutIndexBase + start, n, classes);
            float[] logits, labels;
            using (NewDisposeScope())
            {
                var (inputs, truth) = batch.ToTensors(device);
                var output = model.call(inputs);
                if (output.shape.Length != 2 || output.shape[1] != classes)
                    throw new ArgumentException($"The model gives output [{string.Join(", ", output.shape)}]; the scenes need [N, {classes}].", nameof(model));
                logits = output.cpu().data<float>().ToArray();
                labels = truth.cpu().data<float>().ToArray();
            }
            for (int i = 0; i < n; i++)
            {
                var row = logits.AsSpan(i * classes, classes);
                var truthRow = labels.AsSpan(i * classes, classes);
                int best = 0;
                bool allRight = true;
                for (int c = 0; c < classes; c++)
                {
                    if (row[c] > row[best]) best = c;
                    bool yes = row[c] > 0, isThere = truthRow[c] > 0.5f;
                    if (yes == isThere) labelRight++; else allRight = false;
                    if (isThere) present[c]++;
                    if (yes) predicted[c]++;
                    if (yes && isThere) truePositive[c]++;
                }
                if (truthRow[best] > 0.5f) top++;
                if (allRight) exact++;
            }
        }
        return new DemoHeldOutReport(count, top / (double)count, exact / (double)count, labelRight / ((double)count * classes),
            Enumerable.Range(0, classes).Select(c => present[c] == 0 ? double.NaN : truePositive[c] / (double)present[c]).ToArray(),
            Enumerable.Range(0, classes).Select(c => predicted[c] == 0 ? double.NaN : truePositive[c] / (double)predicted[c]).ToArray(),
            finalLoss);
    }
}
