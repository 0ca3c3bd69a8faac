using DecomCamNet.Batches;
using DecomCamNet.Native;
using static TorchSharp.torch;

namespace DecomCamNet.Evaluation.Runs;

/// <summary>
/// Evaluates CAM methods on a set of images: explains every image of the set (or of one shard of it) for the model's
/// predicted class with each method, and scores every map with the faithfulness metrics (Average Drop / Increase in
/// Confidence, insertion and deletion AUC, pointing and energy pointing games where a true mask is known, ROAD on request).
/// </summary>
/// <example>
/// <code>
/// var images = EvaluationImages.Scenes(20, seed: 1, labels, ImagePreprocessing.None);
/// var results = EvaluationRunner.Run(model, images, new EvaluationOptions { Methods = ["gradcam", "decomcam"], Layers = [layer] });
/// string table = results.Write("evaluation");
/// </code>
/// </example>
public static class EvaluationRunner
{
    /// <summary>Runs the evaluation of <paramref name="options"/> on <paramref name="images"/>.</summary>
    /// <param name="model">The classifier, in the mode the caller set (evaluation mode, as a rule); the images go to the
    /// device of its parameters (the CPU for a model without any).</param>
    /// <param name="images">The image set.</param>
    /// <param name="options">Methods, layers, metric settings and shard.</param>
    /// <param name="progress">Reports "evaluating" with the (image, method) pairs done.</param>
    /// <param name="cancellationToken">Checked before each batch and method.</param>
    /// <returns>One row per image of the shard and method, and the curve sums.</returns>
    /// <exception cref="ArgumentException">The options are out of range, a method is unknown, or a layer is not in the model.</exception>
    /// <exception cref="EvaluationInputException">Images of one batch differ in size, or a mask differs from its image's.</exception>
    public static EvaluationResults Run(nn.Module<Tensor, Tensor> model, EvaluationImages images, EvaluationOptions options,
        IProgress<CamProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(images);
        Check(options, images);
        using var oneDnnOff = LibTorchBackends.SafeForward(model); // metric forwards too
        var shard = options.Shard;
        var indices = shard.Select(Enumerable.Range(0, images.Count).ToList(), images.ShardKey);
        var names = options.Methods.ToArray();
        var rows = new List<EvaluationRow>();
        var curves = new EvaluationCurves(names, options.Steps);
        var methods = new List<ICamMethod>();
        var device = model.parameters().FirstOrDefault()?.device ?? CPU;
        try
        {
            foreach (var name in names) methods.Add(CamMethods.Create(name, model, options.Layers));
            for (int start = 0; start < indices.Count; start += options.BatchSize)
            {
                using var scope = NewDisposeScope();
                var batch = images.Batch(indices.Skip(start).Take(options.BatchSize).ToList(), device);
                var (classes, confidence) = Predict(model, batch.Images);
                var masks = batch.MasksFor(classes);
                for (int m = 0; m < methods.Count; m++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    using var result = methods[m].Explain(batch.Images, classes);
                    rows.AddRange(EvaluationScoring.Score(model, names[m], batch, result.Maps, classes, confidence, masks, curves, options));
                    progress?.Report(new CamProgress("evaluating", start * methods.Count + (m + 1) * batch.Count, indices.Count * methods.Count));
                }
            }
        }
        finally
        {
            foreach (var method in methods) method.Dispose();
        }
        return new EvaluationResults(shard, images.Count, images.Description, options.ModelName, names, options.Steps, options.Bins, options.Road, rows, curves);
    }

    private static void Check(EvaluationOptions options, EvaluationImages images)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Methods.Count == 0) throw new ArgumentException("Name at least one method to evaluate.", nameof(options));
        if (options.Layers.Count == 0) throw new ArgumentException("Name at least one target layer.", nameof(options));
        if (options.Steps < 2) throw new ArgumentOutOfRangeException(nameof(options), options.Steps, "Steps must be at least 2.");
        if (options.Bins < 1) throw new ArgumentOutOfRangeException(nameof(options), options.Bins, "Bins must be at least 1.");
        if (options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), options.BatchSize, "BatchSize must be at least 1.");
        if (options.Shard.By == ShardBy.ContentHash && !images.HasFiles)
            throw new ArgumentException("Generated scenes have no files to hash; shard them by position.", nameof(options));
    }

    private static (int[] Classes, float[] Confidence) Predict(nn.Module<Tensor, Tensor> model, Tensor images)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var probabilities = model.call(images).softmax(1);
        var (values, indices) = probabilities.max(1);
        return (indices.cpu().data<long>().Select(c => (int)c).ToArray(), values.cpu().data<float>().ToArray());
    }
}
