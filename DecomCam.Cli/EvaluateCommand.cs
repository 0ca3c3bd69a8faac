using DecomCamNet.Batches;
using DecomCamNet.Evaluation;
using DecomCamNet.Imaging;
using DecomCamNet.Models;
using static TorchSharp.torch;

namespace DecomCamNet.Cli;

/// <summary>
/// <c>decomcam evaluate</c>: explains a set of images (generated scenes with true masks, or a folder) with each method,
/// scores every map with the faithfulness metrics of DecomCam.Evaluation, and writes the table, the rows and the charts;
/// with <c>--shard i/n</c>, only the images at positions <c>k % n == i</c> (or, <c>--shard-by hash</c>, those whose file's
/// SHA-256 falls to shard <c>i</c>), written as an <see cref="EvaluationShard"/> for <c>merge --evaluation</c>.
/// </summary>
internal sealed class EvaluateCommand(EvaluateOptions options, TextWriter stdout, TextWriter stderr)
{
    public int Run()
    {
        if (options.Threads is int threads) set_num_threads(threads);
        string modelName = options.Model ?? BundledAssets.DemoModel;
        bool demo = modelName == BundledAssets.DemoModel;
        using var model = ZooModelLoader.Load(modelName, options.Weights, randomWeights: false, numClasses: null, CPU);
        using var oneDnnOff = LibTorchBackends.SafeForward(model); // metric forwards too
        var labels = ZooModelLoader.Labels(null, demo);
        var layers = new CamLayer[] { options.Layer ?? ModelZoo.DefaultLayer(modelName) };
        var source = EvaluationImages.Open(options, labels, demo ? ImagePreprocessing.None : ImagePreprocessing.ImageNet);
        var shard = options.Shard ?? ShardSpec.All;
        var indices = shard.Select(Enumerable.Range(0, source.Count).ToList(), source.ShardKey);
        var methods = options.Methods.Select(m => CamMethods.Create(m, model, layers)).ToList();
        var progress = new ProgressBar(stderr, enabled: true);
        var rows = new List<EvaluationRow>();
        var curves = new EvaluationCurves(options.Methods, options.Steps);
        try
        {
            for (int start = 0; start < indices.Count; start += options.BatchSize)
            {
                using var scope = NewDisposeScope();
                var batch = source.Batch(indices.Skip(start).Take(options.BatchSize).ToList());
                var (classes, confidence) = Predict(model, batch.Images);
                var masks = batch.MasksFor(classes);
                for (int m = 0; m < methods.Count; m++)
                {
                    using var result = methods[m].Explain(batch.Images, classes);
                    rows.AddRange(Score(model, options.Methods[m], batch, result.Maps, classes, confidence, masks, curves));
                    progress.Report(new CamProgress("evaluating", start * methods.Count + (m + 1) * batch.Count, indices.Count * methods.Count));
                }
            }
        }
        finally
        {
            progress.Finish();
            foreach (var method in methods) method.Dispose();
        }
        if (shard.Count > 1)
        {
            Directory.CreateDirectory(options.Out);
            var part = new EvaluationShard(shard.ToString(), shard.By, source.Count, source.Description, modelName, options.Methods, options.Steps, options.Bins,
                options.Road, EvaluationResults.Ordered(rows, options.Methods), options.Methods.ToDictionary(m => m, m => Sums(curves, m)));
            string path = part.Write(options.Out, shard);
            stdout.WriteLine($"shard {shard}{(shard.By == ShardBy.ContentHash ? " (by content hash)" : "")}: {indices.Count} of {source.Count} images, wrote {path}; combine the shards with decomcam merge --evaluation {options.Out}");
            return 0;
        }
        EvaluationResults.Write(rows, curves, options.Methods, options.Bins, source.Description, modelName, options.Out, stdout);
        return 0;
    }

    private static EvaluationCurveSums Sums(EvaluationCurves curves, string method)
    {
        var (deletion, insertion, count) = curves.Sums(method);
        return new EvaluationCurveSums(deletion, insertion, count);
    }

    private static (int[] Classes, float[] Confidence) Predict(nn.Module<Tensor, Tensor> model, Tensor images)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var probabilities = model.call(images).softmax(1);
        var (values, indices) = probabilities.max(1);
        return (indices.data<long>().Select(c => (int)c).ToArray(), values.data<float>().ToArray());
    }

    private IEnumerable<EvaluationRow> Score(nn.Module<Tensor, Tensor> model, string method, EvaluationBatch batch, Tensor maps,
        int[] classes, float[] confidence, Tensor? masks, EvaluationCurves curves)
    {
        var targets = TargetClasses.PerImage(classes);
        var curveOptions = new PerturbationCurveOptions { Steps = options.Steps, BatchSize = options.BatchSize };
        using var change = ConfidenceChange.Compute(model, batch.Images, maps, targets, options.BatchSize);
        using var deletion = DeletionInsertion.Deletion(model, batch.Images, maps, targets, curveOptions);
        using var insertion = DeletionInsertion.Insertion(model, batch.Images, maps, targets, curveOptions);
        using var road = options.Road ? Road.Evaluate(model, batch.Images, maps, targets) : null;
        curves.Add(method, deletion.Curves, insertion.Curves);
        float[] pointing = Enumerable.Repeat(float.NaN, batch.Count).ToArray(), energy = pointing.ToArray();
        if (masks is not null)
        {
            using var game = PointingGame.Evaluate(maps, masks);
            pointing = game.Hits.cpu().data<float>().ToArray();
            var hasMask = masks.flatten(1).any(1).cpu().data<bool>().ToArray();
            var share = EnergyPointingGame.Compute(maps, masks).cpu().data<float>().ToArray();
            energy = share.Select((v, i) => hasMask[i] ? v : float.NaN).ToArray();
        }
        var drop = change.Drop.cpu().data<float>().ToArray();
        var increase = change.Increase.cpu().data<float>().ToArray();
        var absolute = change.AbsoluteDrop.cpu().data<float>().ToArray();
        var del = deletion.Auc.cpu().data<float>().ToArray();
        var ins = insertion.Auc.cpu().data<float>().ToArray();
        var roadScore = road?.Combined.cpu().data<float>().ToArray() ?? Enumerable.Repeat(float.NaN, batch.Count).ToArray();
        for (int i = 0; i < batch.Count; i++)
            yield return new EvaluationRow(batch.Indices[i], batch.Names[i], method, classes[i], confidence[i], drop[i], increase[i], absolute[i],
                ins[i], del[i], pointing[i], energy[i], roadScore[i]);
    }
}
