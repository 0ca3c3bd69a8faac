using System.Globalization;
using DecomCamNet.Batches;
using DecomCamNet.Imaging;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace DecomCamNet.Cli;

/// <summary>
/// <c>decomcam explain --input DIR|GLOB|LIST.txt --out DIR</c>: lists the set, takes this shard's share, runs
/// <see cref="ImageSetRun"/> (on a detector, one row per box: <see cref="ImageSetDetection"/>) and prints a summary. Exit code 0 when every image was explained, else 100 + the number of
/// failed images (at most 199).
/// </summary>
internal sealed class ImageSetCommand(CliOptions options, TextWriter stdout, TextWriter stderr)
{
    /// <summary>The exit code of a run in which <paramref name="failed"/> images failed.</summary>
    public static int ExitCode(int failed) => failed == 0 ? 0 : 100 + Math.Min(failed, 99);

    public int Run(ICamMethod method, string modelName, CamMethodSettings methodSettings, ImagePreprocessing preprocessing, Device device,
        ImageSetDetection? detection = null, ILogger? logger = null)
    {
        if (options.Targets is { Length: > 1 } && !options.SumTargets)
            throw new CliException("An image set takes one --target for every image, several with --sum-targets, or none (each image's top class).");
        if (options.SimilarTo is not null || options.SegmentClass is not null)
            throw new CliException("An image set takes class targets (--target, --sum-targets, --score); --similar-to and --segment-class explain one image at a time.");
        IReadOnlyList<string> inputs;
        try { inputs = ImageSetInput.Resolve(options.Input!); }
        catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or UnauthorizedAccessException) { throw new CliException(e.Message); }
        var shard = options.Shard ?? ShardSpec.All;
        var run = new ImageSetRun(method, preprocessing, device, options.Out!, new ImageSetOptions
        {
            ImagesPerBatch = options.ImagesPerBatch,
            WriteOverlay = !options.NoOverlay,
            CaptionOverlay = !options.BareOverlay,
            WriteComponents = options.SaveOssms,
            Alpha = options.Alpha,
            Target = detection is null ? ClassTargets.Create(options.Targets, options.SumTargets, options.Score) : null,
            Detection = detection,
            MapDtype = options.MapDtype,
            Model = modelName,
            Settings = Settings(modelName, methodSettings),
        }, logger);
        string manifest = Path.Combine(options.Out!, Manifest.FileName(shard));
        if (!options.Resume && File.Exists(manifest))
            throw new CliException($"'{manifest}' exists: pass --resume to continue that run, or choose another --out.");
        var progress = options.Verbosity.Progress(stderr);
        ImageSetSummary summary;
        try { summary = run.Run(inputs, shard, options.Resume, progress); }
        catch (RunSettingsMismatchException e) { throw new CliException(e.Message); }
        progress.Finish();
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"shard {shard}{(shard.By == ShardBy.ContentHash ? " (by content hash)" : "")} of {inputs.Count} images: explained {summary.Explained}, failed {summary.Failed}, skipped {summary.Skipped} (already in the manifest); " +
            $"{(summary.RetriedBatches > 0 ? summary.RetriedBatches.ToString(CultureInfo.InvariantCulture) + " refused batch(es) explained again one image at a time; " : "")}" +
            $"model {summary.ModelSeconds:F1} s, waiting for input {summary.WaitSeconds:F1} s ({100 * summary.WaitShare:F1}%; " +
            $"{100 * summary.SteadyWaitShare:F1}% after the first batch), waiting for the writer {summary.WriterWaitSeconds:F1} s ({100 * summary.WriterWaitShare:F1}%)"));
        stdout.WriteLine($"manifest {manifest}");
        if (options.Report) stdout.WriteLine($"report {ReportCommandLine.Write(options.Out!)}");
        return ExitCode(summary.Failed);
    }

    /// <summary>
    /// What the run records beside its own settings: the weights file's SHA-256 (the ONNX file for an ONNX model; <c>none</c>
    /// for random weights), the activation reshape, and every method setting but those of speed alone (the masked-forward
    /// batch size and layout, which change the maps only by float rounding).
    /// </summary>
    private Dictionary<string, string> Settings(string modelName, CamMethodSettings methodSettings)
    {
        string? weights = OnnxSetup.IsOnnx(modelName) ? modelName : ZooModelLoader.WeightsFile(modelName, options.Weights, options.RandomWeights);
        var settings = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["weights sha256"] = weights is null ? "none (random weights)" : ContentHash.OfFile(weights),
            ["reshape"] = options.Reshape?.ToString() ?? "default",
        };
        Record(settings, "method ", methodSettings);
        return settings;
    }

    /// <summary>
    /// Each setting of <paramref name="record"/> under <paramref name="prefix"/> and its name, a method's options record
    /// by its own settings (<c>method DecomCam.Q</c>); batch sizes, the layout and masked-forward tuning are left out.
    /// </summary>
    private static void Record(Dictionary<string, string> settings, string prefix, object record)
    {
        foreach (var property in record.GetType().GetProperties().Where(p => p.GetIndexParameters().Length == 0 && p.Name != "EqualityContract"))
        {
            if (property.Name is nameof(CamMethodSettings.BatchSize) or nameof(CamMethodSettings.MaskedLayout) or nameof(CamMethodSettings.TuneMaskedForwards)) continue;
            var value = property.GetValue(record);
            if (value is not null && value.GetType().Name.EndsWith("Options", StringComparison.Ordinal))
            {
                Record(settings, $"{prefix}{property.Name}.", value);
                continue;
            }
            settings[prefix + property.Name] = value switch
            {
                null => "default",
                bool b => b ? "true" : "false",
                IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
                var v => v.ToString() ?? "",
            };
        }
    }
}
