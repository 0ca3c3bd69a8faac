using DecomCamNet.Native;
using Microsoft.Extensions.Logging;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet.Evaluation.Training;

/// <summary>
/// The loop the demo trainers share (<see cref="DemoTrainer"/>, <see cref="DetectionTrainer"/>): AdamW with a one-cycle
/// learning rate over fresh scene batches from <see cref="DemoTrainer.TrainIndexBase"/> on (the next batch is generated
/// on a worker while the current one trains), stopping when the loss is no longer finite, and the mean loss logged and
/// reported every 100 steps.
/// </summary>
internal static class SceneTrainingLoop
{
    private const int ReportEvery = 100;

    /// <summary>Trains <paramref name="model"/> for <paramref name="steps"/> steps.</summary>
    /// <param name="model">The model, put in training mode.</param>
    /// <param name="steps">Optimiser steps.</param>
    /// <param name="batchSize">Scenes per step (the batches' first indices advance by it).</param>
    /// <param name="maxLearningRate">The one-cycle schedule's peak.</param>
    /// <param name="weightDecay">AdamW's weight decay.</param>
    /// <param name="batchAt">The batch whose first scene index is the argument (run on a worker thread).</param>
    /// <param name="loss">A batch's loss (a scalar tensor), computed inside the step's dispose scope.</param>
    /// <param name="settingsName">The options type that holds the learning rate, named when training diverges.</param>
    /// <param name="progress">Receives the mean loss every 100 steps; may be null.</param>
    /// <param name="logger">Logs the same at information level.</param>
    /// <param name="cancellationToken">Checked before every step.</param>
    /// <returns>The mean loss over the last 100 steps.</returns>
    /// <exception cref="InvalidOperationException">The loss was NaN or infinite.</exception>
    public static double Fit<TBatch>(nn.Module<Tensor, Tensor> model, int steps, int batchSize, double maxLearningRate, double weightDecay,
        Func<int, TBatch> batchAt, Func<TBatch, Tensor> loss, string settingsName, IProgress<DemoTrainingProgress>? progress,
        ILogger logger, CancellationToken cancellationToken)
    {
        model.train();
        using var optimizer = optim.AdamW(model.parameters(), maxLearningRate, weight_decay: weightDecay);
        var schedule = optim.lr_scheduler.OneCycleLR(optimizer, maxLearningRate, steps);
        var next = Task.Run(() => batchAt(DemoTrainer.TrainIndexBase), cancellationToken);
        var recent = new Queue<double>();
        double sinceReport = 0;
        for (int step = 1; step <= steps; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var batch = next.GetAwaiter().GetResult();
            int start = DemoTrainer.TrainIndexBase + step * batchSize;
            next = step < steps ? Task.Run(() => batchAt(start), cancellationToken) : Task.FromResult(batch);
            double value;
            using (NewDisposeScope())
            {
                optimizer.zero_grad();
                var lossTensor = loss(batch);
                using (LibTorchBackends.SafeBackward()) lossTensor.backward();
                optimizer.step();
                schedule.step();
                value = lossTensor.item<float>();
            }
            if (!double.IsFinite(value))
                throw new InvalidOperationException($"Training diverged at step {step} (loss {value}); lower {settingsName}.MaxLearningRate.");
            recent.Enqueue(value);
            if (recent.Count > ReportEvery) recent.Dequeue();
            sinceReport += value;
            if (step % ReportEvery == 0 || step == steps)
            {
                int n = step % ReportEvery == 0 ? ReportEvery : step % ReportEvery;
                logger.LogInformation("Step {Step}/{Steps}: loss {Loss:F4}", step, steps, sinceReport / n);
                progress?.Report(new DemoTrainingProgress(step, steps, sinceReport / n));
                sinceReport = 0;
            }
        }
        return recent.Average();
    }
}
