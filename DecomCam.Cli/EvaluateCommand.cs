using DecomCamNet.Batches;
using DecomCamNet.Detection;
using DecomCamNet.Evaluation.Runs;
using DecomCamNet.Imaging;
using DecomCamNet.Models;
using static TorchSharp.torch;

namespace DecomCamNet.Cli;

/// <summary>
/// <c>decomcam evaluate</c>: loads the model, opens the images (generated scenes with true masks, or a folder), runs
/// <see cref="EvaluationRunner"/> with the options mapped to <see cref="EvaluationOptions"/>, and writes the table, the rows
/// and the charts; with <c>--shard i/n</c>, only the images at positions <c>k % n == i</c> (or, <c>--shard-by hash</c>, those
/// whose file's SHA-256 falls to shard <c>i</c>), written as an <see cref="EvaluationShard"/> for <c>merge --evaluation</c>.
/// </summary>
internal sealed class EvaluateCommand(EvaluateOptions options, TextWriter stdout, TextWriter stderr)
{
    public int Run()
    {
        if (options.Threads is int threads) set_num_threads(threads);
        string modelName = options.Model ?? BundledAssets.DemoModel;
        var device = ExplainCommand.ParseDevice(options.Device);
        if (options.Task == "detect" && ModelZoo.DetectionLayoutOf(modelName) is null)
            throw new CliException($"--task detect needs a detector: {modelName} is a classifier (zoo detectors: {string.Join(", ", ModelZoo.Names.Where(n => ModelZoo.DetectionLayoutOf(n) is not null))}).");
        if (options.Task == "classify" && ModelZoo.DetectionLayoutOf(modelName) is not null)
            throw new CliException($"{modelName} is a detector: evaluate it with --task detect.");
        using var model = ZooModelLoader.Load(modelName, options.Weights, randomWeights: false, numClasses: null, device);
        if (options.Task == "detect") return RunDetection(model, modelName);
        var settings = new EvaluationOptions
        {
            Methods = options.Methods,
            Layers = [((CamLayer)(options.Layer ?? ModelZoo.DefaultLayer(modelName))).WithReshape(ModelZoo.DefaultReshape(modelName))],
            ModelName = modelName,
            Steps = options.Steps,
            Bins = options.Bins,
            BatchSize = options.BatchSize,
            Road = options.Road,
            Shard = options.Shard ?? ShardSpec.All,
        };
        var progress = options.Verbosity.Progress(stderr);
        EvaluationResults results;
        try
        {
            var images = OpenImages(options.Image.Apply(ModelZoo.Preprocessing(modelName)), ZooModelLoader.Labels(null, modelName));
            if (images.LeftOut > 0)
                options.Verbosity.Say(stderr, $"note: --count {options.Count} takes the first {images.Count} images of {options.Images}; {images.LeftOut} more are left out (give --count {images.Count + images.LeftOut} for all).");
            results = EvaluationRunner.Run(model, images, settings, progress);
        }
        catch (EvaluationInputException e) { throw new CliException(e.Message); }
        finally { progress.Finish(); }
        var shard = settings.Shard;
        if (shard.Count > 1)
        {
            string path = results.WriteShard(options.Out);
            stdout.WriteLine($"shard {shard}{(shard.By == ShardBy.ContentHash ? " (by content hash)" : "")}: {results.Images} of {results.Total} images, wrote {path}; combine the shards with decomcam merge --evaluation {options.Out}");
            return 0;
        }
        Write(results, options.Out, stdout);
        if (options.Report) stdout.WriteLine($"wrote {ReportCommandLine.Write(options.Out)}");
        return 0;
    }

    private int RunDetection(nn.Module<Tensor, Tensor> model, string modelName)
    {
        var settings = new DetectionEvaluationOptions
        {
            Methods = options.Methods,
            Layers = [((CamLayer)(options.Layer ?? ModelZoo.DefaultLayer(modelName))).WithReshape(ModelZoo.DefaultReshape(modelName))],
            ModelName = modelName,
            Count = options.Count,
            Seed = options.Seed,
            Layout = ModelZoo.DetectionLayoutOf(modelName)!.Value,
            Detection = new DetectionOptions { ConfidenceThreshold = options.Confidence, MaxDetections = options.MaxDetections },
            Bins = options.Bins,
        };
        var progress = options.Verbosity.Progress(stderr);
        DetectionEvaluationResults results;
        try { results = DetectionEvaluation.Run(model, settings, progress); }
        finally { progress.Finish(); }
        stdout.Write(results.Write(options.Out));
        stdout.WriteLine($"wrote {Path.Combine(options.Out, "results.md")} and rows.csv in {options.Out}");
        if (options.Report) stdout.WriteLine($"wrote {ReportCommandLine.Write(options.Out)}");
        return 0;
    }

    /// <summary>Writes <paramref name="results"/> into <paramref name="folder"/> and prints the table (also <c>merge --evaluation</c>'s).</summary>
    public static void Write(EvaluationResults results, string folder, TextWriter stdout)
    {
        stdout.Write(results.Write(folder));
        stdout.WriteLine($"wrote {Path.Combine(folder, "results.md")}, rows.csv and the charts (*.png) in {folder}");
    }

    private EvaluationImages OpenImages(ImagePreprocessing preprocessing, string[]? labels) => options.Images is null
        ? EvaluationImages.Scenes(options.Count, options.Seed, labels, preprocessing)
        : EvaluationImages.Folder(options.Images, options.Masks, options.Count, preprocessing);
}
