using DecomCamNet.Detection;
using DecomCamNet.Evaluation.Metrics;
using DecomCamNet.Evaluation.Scenes;
using DecomCamNet.Evaluation.Training;
using DecomCamNet.Native;
using static TorchSharp.torch;

namespace DecomCamNet.Evaluation.Runs;

/// <summary>
/// Evaluates CAM methods on a detector: runs it on held-out generated scenes (indices from
/// <see cref="DemoTrainer.HeldOutIndexBase"/>, as its training's held-out mAP), explains each detection with each method
/// (one <see cref="CamTarget.Boxes"/> map per box) and scores every map with <see cref="BoxLocalisation"/>. A scene where a
/// method fails (a <see cref="CamException"/>: every box's target had an all-zero gradient, for example) is counted as
/// failed for that method and left out of its rows; an all-zero map scores 0 on every metric (it points at nothing).
/// </summary>
/// <example>
/// <code>
/// var results = DetectionEvaluation.Run(sceneDet, new DetectionEvaluationOptions { Methods = ["gradcam", "eigencam"], Layers = ["block5"], Count = 200 });
/// string table = results.Write("evaluation-detect");
/// </code>
/// </example>
public static class DetectionEvaluation
{
    /// <summary>Runs the evaluation of <paramref name="options"/> on <paramref name="model"/>.</summary>
    /// <param name="model">The detector (its input: the scenes, ImageNet-normalised), in evaluation mode; the scenes go to the
    /// device of its parameters.</param>
    /// <param name="options">Methods, layers, scenes and which detections to explain.</param>
    /// <param name="progress">Reports "evaluating" with the scenes done.</param>
    /// <param name="cancellationToken">Checked before each scene and method.</param>
    /// <exception cref="ArgumentException">The options are out of range, a method is unknown, or a layer is not in the model.</exception>
    public static DetectionEvaluationResults Run(nn.Module<Tensor, Tensor> model, DetectionEvaluationOptions options,
        IProgress<CamProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        Check(options);
        using var oneDnnOff = LibTorchBackends.SafeForward(model);
        var device = model.parameters().FirstOrDefault()?.device ?? CPU;
        var names = options.Methods.ToArray();
        var rows = new List<DetectionEvaluationRow>();
        var failed = new int[names.Length];
        int detections = 0, withoutDetections = 0;
        var scenes = new SceneGenerator(options.Seed);
        var methods = new List<ICamMethod>();
        try
        {
            foreach (var name in names) methods.Add(CamMethods.Create(name, model, options.Layers));
            for (int i = 0; i < options.Count; i++)
            {
                int index = DemoTrainer.HeldOutIndexBase + i;
                using var scope = NewDisposeScope();
                var batch = SceneBatch.Generate(scenes, index, 1, SceneShapes.Classes.Count);
                var scene = batch.Scenes[0];
                var input = batch.Inputs(device);
                IReadOnlyList<DetectedBox> found;
                using (no_grad()) found = DetectionDecoder.Detect(DetectionDecoder.Decode(model.call(input), options.Layout), options.Detection)[0];
                detections += found.Count;
                if (found.Count == 0) withoutDetections++;
                var boxes = found.Select(ReferenceBox.Of).ToArray();
                for (int m = 0; m < methods.Count && boxes.Length > 0; m++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    try
                    {
                        using var result = methods[m].Explain(input, CamTarget.Boxes(new[] { boxes }, layout: options.Layout));
                        rows.AddRange(Score(names[m], index, scene, found, boxes, result.Maps));
                    }
                    catch (CamException) { failed[m]++; }
                }
                progress?.Report(new CamProgress("evaluating", i + 1, options.Count));
            }
        }
        finally
        {
            foreach (var method in methods) method.Dispose();
        }
        string description = FormattableString.Invariant($"{options.Count} held-out generated scenes (seed {options.Seed}, indices from {DemoTrainer.HeldOutIndexBase:N0}), ") +
            FormattableString.Invariant($"{detections} detections at confidence {options.Detection.ConfidenceThreshold:0.##} (at most {options.Detection.MaxDetections} per scene)");
        return new DetectionEvaluationResults(options.ModelName, description, names, options.Count, detections, withoutDetections, failed, options.Bins, rows);
    }

    private static IEnumerable<DetectionEvaluationRow> Score(string method, int index, Scene scene, IReadOnlyList<DetectedBox> found,
        ReferenceBox[] boxes, Tensor maps)
    {
        using var scope = NewDisposeScope();
        using var localisation = BoxLocalisation.Evaluate(maps, scene, boxes);
        var empty = maps.flatten(1).amax(new long[] { 1 }).le(CachedScalars.Zero).cpu().data<bool>().ToArray();
        var hits = localisation.Pointing.Hits.cpu().data<float>().ToArray();
        var mask = localisation.MaskEnergy.cpu().data<float>().ToArray();
        var box = localisation.BoxEnergy.cpu().data<float>().ToArray();
        return found.Select((d, k) =>
        {
            bool matched = localisation.MatchedObject[k] >= 0;
            double Value(float v, bool applies) => !applies ? double.NaN : empty[k] ? 0 : v;
            return new DetectionEvaluationRow(method, index, boxes[k].Box.ToArray(), d.ClassIndex, d.Score, localisation.MatchedObject[k],
                Value(hits[k], matched), Value(mask[k], matched), Value(box[k], true), empty[k]);
        }).ToArray();
    }

    private static void Check(DetectionEvaluationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Methods.Count == 0) throw new ArgumentException("Name at least one method to evaluate.", nameof(options));
        if (options.Layers.Count == 0) throw new ArgumentException("Name at least one target layer.", nameof(options));
        if (options.Count < 1) throw new ArgumentOutOfRangeException(nameof(options), options.Count, "Count must be at least 1.");
        if (options.Bins < 1) throw new ArgumentOutOfRangeException(nameof(options), options.Bins, "Bins must be at least 1.");
        options.Detection.Validate();
    }
}
