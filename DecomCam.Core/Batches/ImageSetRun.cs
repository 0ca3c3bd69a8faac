using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Threading.Channels;
using DecomCamNet.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace DecomCamNet.Batches;

/// <summary>How <see cref="ImageSetRun"/> explains a set and what it writes.</summary>
public sealed record ImageSetOptions
{
    /// <summary>Images stacked into one model batch (images of one size; other sizes wait for their own batch).</summary>
    public int ImagesPerBatch { get; init; } = 8;

    /// <summary>Threads that read, hash, decode and preprocess images while the model runs.</summary>
    public int Decoders { get; init; } = Math.Max(1, Math.Min(4, Environment.ProcessorCount / 2));

    /// <summary>Decoded images waiting for the model, at most: the queue's bound, so memory does not grow with the set.</summary>
    public int QueueCapacity { get; init; } = 32;

    /// <summary>Write the overlay PNG of each image.</summary>
    public bool WriteOverlay { get; init; } = true;

    /// <summary>
    /// Write each image's component maps that the method declares (<see cref="CamResult.IntermediateImages"/> drawn as
    /// <see cref="IntermediateDrawing.ComponentGrid"/>) as <c>NAME_suffix.npy</c> [Q,H,W].
    /// </summary>
    public bool WriteComponents { get; init; }

    /// <summary>Overlay opacity in [0, 1].</summary>
    public float Alpha { get; init; } = 0.5f;

    /// <summary>
    /// What to explain in every image (a class, its softmax or sigmoid, a sum of classes: any target that does not need one
    /// entry per image), or <c>null</c> for each image's top class. The manifest records its <see cref="CamTarget.Description"/>.
    /// </summary>
    public CamTarget? Target { get; init; }

    /// <summary>The element type of the written maps and component maps (<c>.npy</c>): float32, or float16 for half the bytes.</summary>
    public NpyDtype MapDtype { get; init; } = NpyDtype.Float32;

    /// <summary>The model's name, as written in the manifest.</summary>
    public string Model { get; init; } = "";

    /// <summary>
    /// What else decides the maps, by name (for example the weights file's SHA-256 and the method's options), recorded in
    /// the plan beside the settings the run knows itself (<see cref="ImageSetRun.Settings"/>) and compared on resume.
    /// </summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();
}

/// <summary>What an <see cref="ImageSetRun"/> did.</summary>
/// <param name="Explained">Images explained and written.</param>
/// <param name="Failed">Images that failed (rows with an error).</param>
/// <param name="Skipped">Images already in the manifest (resume).</param>
/// <param name="ModelSeconds">Time spent in the model: explaining batches and copying their maps off the device.</param>
/// <param name="WaitSeconds">Time the model waited for decoded input.</param>
/// <param name="StartupWaitSeconds">The part of <paramref name="WaitSeconds"/> before the first batch: the decoders starting
/// and the queue filling.</param>
/// <param name="WriterWaitSeconds">Time the model waited for the output stage (its queue full: the disk slower than the model).</param>
public sealed record ImageSetSummary(int Explained, int Failed, int Skipped, double ModelSeconds, double WaitSeconds, double StartupWaitSeconds, double WriterWaitSeconds)
{
    /// <summary>The model thread's time: explaining, waiting for input and waiting for the output stage.</summary>
    public double ThreadSeconds => ModelSeconds + WaitSeconds + WriterWaitSeconds;

    /// <summary>The share of the model thread's time spent waiting for input (0 when nothing ran).</summary>
    public double WaitShare => Share(WaitSeconds, ThreadSeconds);

    /// <summary>The share of the model thread's time spent waiting for input after the first batch, when the queue had filled.</summary>
    public double SteadyWaitShare => Share(WaitSeconds - StartupWaitSeconds, ThreadSeconds - StartupWaitSeconds);

    /// <summary>The share of the model thread's time spent waiting for the output stage (0 when nothing ran).</summary>
    public double WriterWaitShare => Share(WriterWaitSeconds, ThreadSeconds);

    private static double Share(double part, double whole) => whole > 0 ? part / whole : 0;
}

/// <summary>
/// Explains a set of image files with one CAM method in three stages joined by bounded queues: decoder threads read, hash
/// (SHA-256) and preprocess images while the model explains batches of equal-sized images, and an output thread
/// (<see cref="ImageSetWriter"/>) writes each image's map (<c>.npy</c>), overlay and component maps under temporary names, renames
/// them, then appends the image's row to the manifest. A file that cannot be
/// decoded becomes a row with its error and the run goes on. On resume, inputs whose latest manifest row is a success are
/// skipped and those whose row carries an error are tried again (a new row), so a killed run resumes where it stopped,
/// losing and duplicating nothing, and a transient failure is not recorded for ever. The run's <see cref="Settings"/> are
/// recorded in its plan, and a resume with other settings is refused rather than mixing two runs in one manifest.
/// </summary>
public sealed class ImageSetRun
{
    private readonly ICamMethod _method;
    private readonly ImagePreprocessing _preprocessing;
    private readonly Device _device;
    private readonly ImageSetOptions _options;
    private readonly string _outDir;

    /// <summary>A run of <paramref name="method"/> writing into <paramref name="outDir"/>.</summary>
    /// <param name="method">The method, bound to the model and layers (used from the calling thread only).</param>
    /// <param name="preprocessing">How files become model inputs.</param>
    /// <param name="device">The model's device.</param>
    /// <param name="outDir">Folder for outputs and the manifest; created if needed.</param>
    /// <param name="options">Batching, queue and outputs.</param>
    public ImageSetRun(ICamMethod method, ImagePreprocessing preprocessing, Device device, string outDir, ImageSetOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(preprocessing);
        ArgumentException.ThrowIfNullOrWhiteSpace(outDir);
        _options = options ?? new ImageSetOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.ImagesPerBatch, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.Decoders, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.QueueCapacity, 1, nameof(options));
        (_method, _preprocessing, _device, _outDir) = (method, preprocessing, device ?? CPU, outDir);
        Settings = OwnSettings();
        if (_options.Settings.Keys.FirstOrDefault(Settings.ContainsKey) is { } clash)
            throw new ArgumentException($"The setting '{clash}' is one the run records itself; give it another name.", nameof(options));
        Settings = new SortedDictionary<string, string>(Settings.Concat(_options.Settings).ToDictionary(), StringComparer.Ordinal);
    }

    /// <summary>
    /// The settings that decide what the run writes, recorded in its plan: <c>model</c>, <c>method</c>, <c>layers</c>,
    /// <c>target</c>, <c>preprocessing</c>, <c>map dtype</c>, <c>outputs</c>, and those of <see cref="ImageSetOptions.Settings"/>.
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
        Directory.CreateDirectory(_outDir);
        string manifestPath = Path.Combine(_outDir, Manifest.FileName(shard));
        if (!resume && File.Exists(manifestPath))
            throw new IOException($"'{manifestPath}' exists: resume that run (resume: true), or choose another output folder.");
        string planPath = Path.Combine(_outDir, ShardPlan.FileName(shard));
        if (resume && File.Exists(manifestPath) && File.Exists(planPath) && ShardPlan.Read(planPath).Settings is { } recorded)
        {
            var differences = RunSettings.Differences(recorded, Settings, "recorded", "now");
            if (differences.Count > 0) throw new RunSettingsMismatchException(manifestPath, differences);
        }
        var assigned = Share(sortedInputs, shard);
        ShardPlan.Write(_outDir, shard, sortedInputs.Count, assigned, Settings);
        var done = Manifest.Latest(Manifest.Read(manifestPath)).Where(r => r.Error is null).Select(r => r.Input).ToHashSet(StringComparer.Ordinal);
        var todo = assigned.Where(p => !done.Contains(p)).ToList();
        using var manifest = Manifest.OpenForAppend(manifestPath);
        var (explained, failed, model, wait, startup, writer) = Pipeline(todo, manifest, progress, cancellationToken);
        return new ImageSetSummary(explained, failed, assigned.Count - todo.Count, model, wait, startup, writer);
    }

    /// <summary>The shard's inputs; by content hash, every input is read and hashed first (on the decoder threads).</summary>
    private IReadOnlyList<string> Share(IReadOnlyList<string> sortedInputs, ShardSpec shard)
    {
        if (shard.By != ShardBy.ContentHash) return shard.Select(sortedInputs);
        var hashes = new string[sortedInputs.Count];
        Parallel.For(0, hashes.Length, new ParallelOptions { MaxDegreeOfParallelism = _options.Decoders },
            i => hashes[i] = ContentHash.ForSharding(sortedInputs[i]));
        return shard.Select(Enumerable.Range(0, hashes.Length).ToList(), i => hashes[i]).Select(i => sortedInputs[i]).ToList();
    }

    private (int Explained, int Failed, double Model, double Wait, double Startup, double Writer) Pipeline(List<string> todo, Manifest manifest, IProgress<CamProgress>? progress, CancellationToken cancellationToken)
    {
        var queue = Channel.CreateBounded<Decoded>(new BoundedChannelOptions(_options.QueueCapacity) { SingleReader = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var decoders = Task.Run(() => Decode(todo, queue.Writer, stop.Token));
        using var writer = new ImageSetWriter(_outDir, _options, manifest, todo.Count, 2 * _options.ImagesPerBatch, progress);
        var pending = new Dictionary<(int, int), List<Decoded>>();
        var modelClock = new Stopwatch();
        var waitClock = new Stopwatch();
        double? startup = null;
        void Explain(List<Decoded> batch)
        {
            startup ??= waitClock.Elapsed.TotalSeconds;
            modelClock.Start();
            var explained = ExplainBatch(batch);
            modelClock.Stop();
            batch.Clear();
            for (int i = 0; i < explained.Count; i++)
            {
                try { writer.Post(explained[i]); }
                catch { foreach (var unposted in explained.Skip(i + 1)) unposted.Dispose(); throw; }
            }
        }
        try
        {
            var reader = queue.Reader;
            while (true)
            {
                if (!reader.TryRead(out var item))
                {
                    waitClock.Start();
                    bool more = reader.WaitToReadAsync(stop.Token).AsTask().GetAwaiter().GetResult();
                    waitClock.Stop();
                    if (!more) break;
                    continue;
                }
                if (item.Picture is null)
                {
                    writer.Post(ExplainedImage.Failed(Row(item.Path, item.Sha256, 0) with { Error = item.Error }));
                    continue;
                }
                var key = (item.Picture.Width, item.Picture.Height);
                if (!pending.TryGetValue(key, out var group)) pending[key] = group = [];
                group.Add(item);
                if (group.Count == _options.ImagesPerBatch) Explain(group);
            }
            decoders.GetAwaiter().GetResult(); // rethrows a decoder's unexpected failure
            foreach (var group in pending.Values.Where(g => g.Count > 0)) Explain(group);
            writer.Complete();
        }
        finally
        {
            stop.Cancel();
            try { decoders.Wait(CancellationToken.None); } catch (AggregateException) { /* cancelled, or already rethrown above */ }
            while (queue.Reader.TryRead(out var left)) left.Picture?.Dispose();
            foreach (var item in pending.Values.SelectMany(g => g)) item.Picture?.Dispose();
        }
        return (writer.Explained, writer.Failed, modelClock.Elapsed.TotalSeconds, waitClock.Elapsed.TotalSeconds,
            startup ?? waitClock.Elapsed.TotalSeconds, writer.BlockedSeconds);
    }

    private async Task Decode(List<string> paths, ChannelWriter<Decoded> writer, CancellationToken token)
    {
        try
        {
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = _options.Decoders, CancellationToken = token };
            await Parallel.ForEachAsync(paths, parallel, async (path, ct) =>
            {
                var item = DecodeOne(path);
                try { await writer.WriteAsync(item, ct); }
                catch { item.Picture?.Dispose(); throw; }
            });
            writer.Complete();
        }
        catch (Exception e)
        {
            writer.Complete(e is OperationCanceledException ? null : e);
            throw;
        }
    }

    private Decoded DecodeOne(string path)
    {
        string hash = "";
        try
        {
            var bytes = File.ReadAllBytes(path); // read once: hashed and decoded from the same bytes
            hash = ContentHash.Of(bytes);
            return new Decoded(path, hash, ImageLoader.LoadRgb(bytes, path, _preprocessing), null);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or NotSupportedException or ImageFormatException)
        {
            return new Decoded(path, hash, null, e.Message);
        }
    }

    /// <summary>
    /// Explains one batch and copies each image's map (and component maps) off the device; the pictures pass to the returned images.
    /// When the method refuses the batch, every image becomes a failed row and the pictures are disposed.
    /// </summary>
    private List<ExplainedImage> ExplainBatch(List<Decoded> batch)
    {
        var clock = Stopwatch.StartNew();
        HostArray[] maps;
        (string FileSuffix, HostArray Maps)[][] components;
        long[]? classes;
        float[] scores;
        long[] order;
        try
        {
            using var scope = NewDisposeScope();
            var input = cat(batch.Select(d => ImageLoader.ToTensor(d.Picture!, _preprocessing, _device)).ToList(), 0);
            using var result = _method.Explain(input, _options.Target);
            var cpuMaps = result.Maps.cpu();
            maps = Enumerable.Range(0, batch.Count).Select(row => HostArray.Of(cpuMaps[row])).ToArray();
            var stacks = _options.WriteComponents
                ? result.IntermediateImages.Where(i => i.Drawing == IntermediateDrawing.ComponentGrid).Select(i => (i.FileSuffix, Maps: result.Intermediate(i.Name).cpu())).ToList()
                : [];
            components = Enumerable.Range(0, batch.Count).Select(row => stacks.Select(s => (s.FileSuffix, HostArray.Of(s.Maps[row]))).ToArray()).ToArray();
            classes = result.Classes?.cpu().data<long>().ToArray();
            scores = result.Scores.cpu().data<float>().ToArray();
            order = result.ImageIndex.ToArray();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or CamException or ExternalException)
        {
            double failedSeconds = clock.Elapsed.TotalSeconds / batch.Count;
            foreach (var item in batch) item.Picture!.Dispose();
            return batch.Select(d => ExplainedImage.Failed(Row(d.Path, d.Sha256, failedSeconds) with { Error = e.Message })).ToList();
        }
        double seconds = clock.Elapsed.TotalSeconds / batch.Count;
        return Enumerable.Range(0, batch.Count).Select(row =>
        {
            var image = batch[(int)order[row]];
            var explained = Row(image.Path, image.Sha256, seconds) with { Class = classes?[row], Score = scores[row] };
            return new ExplainedImage(explained, image.Picture, maps[row], components[row]);
        }).ToList();
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

    private ManifestRow Row(string path, string sha256, double seconds) => new(path, sha256, _options.Model, _method.Name,
        LayerName, _options.Target?.Description, null, null, seconds, [], null);

    private string LayerName => string.Join("+", _method.LayerNames);

    private Dictionary<string, string> OwnSettings() => new(StringComparer.Ordinal)
    {
        ["model"] = _options.Model,
        ["method"] = _method.Name,
        ["layers"] = LayerName,
        ["target"] = _options.Target?.Description ?? "each image's top class",
        ["preprocessing"] = RunSettings.Describe(_preprocessing),
        ["map dtype"] = _options.MapDtype.ToString().ToLowerInvariant(),
        ["outputs"] = string.Join(", ", new[] { "map",
            _options.WriteOverlay ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"overlay (alpha {_options.Alpha})") : null,
            _options.WriteComponents ? "components" : null }.OfType<string>()),
    };

    private sealed record Decoded(string Path, string Sha256, Image<Rgb24>? Picture, string? Error);
}
