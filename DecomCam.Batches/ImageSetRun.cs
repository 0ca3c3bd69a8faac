using System.Security.Cryptography;
using DecomCamNet.Imaging;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace DecomCamNet.Batches;

/// <summary>
/// Explains a set of image files with one CAM method (a classifier's, or a detector's boxes: <see cref="ImageSetOptions.Detection"/>), in stages joined by bounded queues: the plan (<see cref="ImageSetPlan"/>:
/// the shard's share of the set, what is left of it), decoder threads (<see cref="ImageSetDecoder"/>) that read, hash
/// (SHA-256) and preprocess images while the model explains batches of equal-sized images (<see cref="ImageSetExplainer"/>),
/// and an output thread (<see cref="ImageSetWriter"/>) that writes each image's map (<c>.npy</c>), overlay and component maps
/// under temporary names, renames them, then appends the image's row to the manifest. A file that cannot be
/// decoded becomes a row with its error and the run goes on. On resume, inputs whose latest manifest row is a success are
/// skipped and those whose row carries an error are tried again (a new row), so a killed run resumes where it stopped,
/// losing and duplicating nothing, and a transient failure is not recorded for ever. A batch that the method refuses with a
/// <see cref="CamException"/> is explained again one image at a time, so that one bad image fails alone. The run's <see cref="Settings"/> are
/// recorded in its plan, and a resume with other settings is refused rather than mixing two runs in one manifest.
/// </summary>
public sealed class ImageSetRun
{
    private readonly ICamMethod _method;
    private readonly ImagePreprocessing _preprocessing;
    private readonly Device _device;
    private readonly ImageSetOptions _options;
    private readonly string _outDir;
    private readonly ILogger? _logger;

    /// <summary>A run of <paramref name="method"/> writing into <paramref name="outDir"/>.</summary>
    /// <param name="method">The method, bound to the model and layers (used from the calling thread only).</param>
    /// <param name="preprocessing">How files become model inputs.</param>
    /// <param name="device">The model's device.</param>
    /// <param name="outDir">Folder for outputs and the manifest; created if needed.</param>
    /// <param name="options">Batching, queue and outputs.</param>
    /// <param name="logger">Where the run logs (a batch explained again one image at a time); <c>null</c> for nowhere.</param>
    public ImageSetRun(ICamMethod method, ImagePreprocessing preprocessing, Device device, string outDir, ImageSetOptions? options = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(preprocessing);
        ArgumentException.ThrowIfNullOrWhiteSpace(outDir);
        _options = options ?? new ImageSetOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.ImagesPerBatch, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.Decoders, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.QueueCapacity, 1, nameof(options));
        (_method, _preprocessing, _device, _outDir, _logger) = (method, preprocessing, device ?? CPU, outDir, logger);
        if (_options.Detection is not null && _options.Target is not null)
            throw new ArgumentException($"A detector's run explains its boxes; it takes no class target ({_options.Target.Description}).", nameof(options));
        Settings = OwnSettings();
        if (_options.Settings.Keys.FirstOrDefault(Settings.ContainsKey) is { } clash)
            throw new ArgumentException($"The setting '{clash}' is one the run records itself; give it another name.", nameof(options));
        Settings = new SortedDictionary<string, string>(Settings.Concat(_options.Settings).ToDictionary(), StringComparer.Ordinal);
    }

    /// <summary>
    /// The settings that decide what the run writes, recorded in its plan: <c>model</c>, <c>method</c>, <c>layers</c>,
    /// <c>target</c>, <c>preprocessing</c>, <c>map dtype</c>, <c>outputs</c>, a detector's <c>detection</c> (layout, thresholds or
    /// given boxes), and those of <see cref="ImageSetOptions.Settings"/>.
    /// Images per batch, decoders and queue sizes are left out: they change speed, and the maps only by float rounding.
    /// </summary>
    public IReadOnlyDictionary<string, string> Settings { get; }

    /// <summary>
    /// Explains the inputs of <paramref name="shard"/>'s share of <paramref name="sortedInputs"/> whose latest row in its
    /// manifest (<see cref="Manifest.FileName"/> in the output folder) is not a success: those not yet there and those that
    /// failed. Without <paramref name="resume"/>, an existing manifest is an error rather than something to append to.
    /// </summary>
    /// <exception cref="IOException">The manifest exists and <paramref name="resume"/> is false.</exception>
    /// <exception cref="RunSettingsMismatchException">Resuming, and the plan beside the manifest recorded other <see cref="Settings"/>.</exception>
    public ImageSetSummary Run(IReadOnlyList<string> sortedInputs, ShardSpec shard, bool resume, IProgress<CamProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sortedInputs);
        var plan = ImageSetPlan.Make(_outDir, sortedInputs, shard, resume, Settings, _options.Decoders);
        using var manifest = Manifest.OpenForAppend(plan.ManifestPath);
        // Disposed in reverse: pictures of unexplained batches, then the decoders stopped, then the writer drained.
        using var writer = new ImageSetWriter(_outDir, _options, manifest, plan.Todo.Count, 2 * _options.ImagesPerBatch, progress);
        using var decoder = new ImageSetDecoder(plan.Todo, _preprocessing, _options.Decoders, _options.QueueCapacity, cancellationToken);
        using var explainer = new ImageSetExplainer(_method, _preprocessing, _device, _options, BlankRow, writer, _logger);
        explainer.ExplainAll(decoder.Reader, cancellationToken);
        decoder.Complete(); // rethrows a decoder's unexpected failure
        explainer.Flush();
        writer.Complete();
        return new ImageSetSummary(writer.Explained, writer.Failed, plan.Skipped, explainer.ModelSeconds, explainer.WaitSeconds,
            explainer.StartupWaitSeconds, writer.BlockedSeconds, explainer.RetriedBatches);
    }

    /// <summary>
    /// The name, without extension, of an input's outputs: its file name and 8 hex digits of the SHA-256 of its full path,
    /// so that <c>a/x.png</c> and <c>b/x.png</c> do not collide.
    /// </summary>
    public static string OutputStem(string inputPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(inputPath);
        var digest = SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(inputPath));
        return $"{Path.GetFileNameWithoutExtension(inputPath)}_{Convert.ToHexStringLower(digest)[..8]}";
    }

    /// <summary>Each image's row before its input, hash, seconds and outcome are filled in.</summary>
    private ManifestRow BlankRow => new("", "", _options.Model, _method.Name, LayerName,
        _options.Detection?.TargetDescription ?? _options.Target?.Description, null, null, 0, [], null);

    private string LayerName => string.Join("+", _method.LayerNames);

    private Dictionary<string, string> OwnSettings()
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["model"] = _options.Model,
            ["method"] = _method.Name,
            ["layers"] = LayerName,
            ["target"] = _options.Detection?.TargetDescription ?? _options.Target?.Description ?? "each image's top class",
            ["preprocessing"] = RunSettings.Describe(_preprocessing),
            ["map dtype"] = _options.MapDtype.ToString().ToLowerInvariant(),
            ["outputs"] = string.Join(", ", new[] { "map",
                _options.WriteOverlay ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"overlay (alpha {_options.Alpha})") : null,
                _options.WriteComponents ? "components" : null }.OfType<string>()),
        };
        if (_options.Detection is { } detection) settings["detection"] = detection.Describe();
        return settings;
    }
}
