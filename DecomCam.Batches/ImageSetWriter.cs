using System.Diagnostics;
using System.Threading.Channels;
using DecomCamNet.Detection;
using DecomCamNet.Imaging;
using SixLabors.ImageSharp;

namespace DecomCamNet.Batches;

/// <summary>
/// The output stage of <see cref="ImageSetRun"/>: on a thread of its own, writes each image's map, overlay and component maps (each
/// under a temporary name, then renamed) and only then appends its manifest row, in the order the images were posted.
/// The model's thread hands images over through a bounded queue and waits only when the queue is full, so memory stays
/// bounded and the model does not wait on the disk. A failure to write (disk full, a folder in the way) stops the stage;
/// the next <see cref="Post"/> or <see cref="Complete"/> rethrows it.
/// </summary>
internal sealed class ImageSetWriter : IDisposable
{
    private readonly Channel<ExplainedImage> _queue;
    private readonly Task _thread;
    private readonly string _outDir;
    private readonly ImageSetOptions _options;
    private readonly Manifest _manifest;
    private readonly int _total;
    private readonly IProgress<CamProgress>? _progress;
    private readonly Stopwatch _blocked = new();
    private int _explained, _failed;

    /// <summary>Starts the stage's thread.</summary>
    /// <param name="outDir">The run's output folder.</param>
    /// <param name="options">What to write.</param>
    /// <param name="manifest">The manifest rows are appended to (written from the stage's thread only).</param>
    /// <param name="total">Images the run will post, for progress.</param>
    /// <param name="capacity">Images waiting to be written, at most.</param>
    /// <param name="progress">Told as each image's row is appended.</param>
    public ImageSetWriter(string outDir, ImageSetOptions options, Manifest manifest, int total, int capacity, IProgress<CamProgress>? progress)
    {
        (_outDir, _options, _manifest, _total, _progress) = (outDir, options, manifest, total, progress);
        _queue = Channel.CreateBounded<ExplainedImage>(new BoundedChannelOptions(capacity) { SingleReader = true, SingleWriter = true });
        _thread = Task.Factory.StartNew(WriteAll, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>Images whose outputs were written and whose row says so.</summary>
    public int Explained => Volatile.Read(ref _explained);

    /// <summary>Images whose row carries an error.</summary>
    public int Failed => Volatile.Read(ref _failed);

    /// <summary>Time <see cref="Post"/> waited for room in the queue: the model waiting for the disk.</summary>
    public double BlockedSeconds => _blocked.Elapsed.TotalSeconds;

    /// <summary>Queues <paramref name="image"/>, which the stage then owns; waits while the queue is full.</summary>
    /// <exception cref="Exception">The stage failed earlier: its exception, rethrown.</exception>
    public void Post(ExplainedImage image)
    {
        if (_queue.Writer.TryWrite(image)) return;
        _blocked.Start();
        try
        {
            _queue.Writer.WriteAsync(image).AsTask().GetAwaiter().GetResult();
        }
        catch (ChannelClosedException)
        {
            image.Dispose();
            _thread.GetAwaiter().GetResult();
            throw;
        }
        finally
        {
            _blocked.Stop();
        }
    }

    /// <summary>Waits until every posted image is written and its row appended; rethrows the stage's failure.</summary>
    public void Complete()
    {
        _queue.Writer.TryComplete();
        _thread.GetAwaiter().GetResult();
    }

    /// <summary>Lets the stage finish what was posted (or stop, when it failed) and waits for it, without rethrowing.</summary>
    public void Dispose()
    {
        _queue.Writer.TryComplete();
        try { _thread.Wait(); } catch (AggregateException) { /* rethrown by Post or Complete, or the run already failed */ }
    }

    private void WriteAll()
    {
        try
        {
            var reader = _queue.Reader;
            while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
                while (reader.TryRead(out var image))
                    using (image) Finish(image);
        }
        catch (Exception e)
        {
            _queue.Writer.TryComplete(e);
            while (_queue.Reader.TryRead(out var left)) left.Dispose();
            throw;
        }
    }

    private void Finish(ExplainedImage image)
    {
        var rows = new List<ManifestRow>();
        try
        {
            foreach (var explained in image.Rows)
                rows.Add(explained.Map is null ? explained.Row : explained.Row with { Outputs = WriteOutputs(image, explained) });
        }
        catch (ArgumentException e) // a map the writers refuse (not finite): the image fails, the run goes on
        {
            rows = [image.Rows[0].Row with
            {
                Class = null, Score = null, OssmWeights = null, OssmSingularValues = null,
                Detection = null, Detections = null, Box = null, Label = null, DetectionScore = null, Error = e.Message,
            }];
        }
        _manifest.Append(rows);
        if (rows.All(r => r.Error is null)) Interlocked.Increment(ref _explained); else Interlocked.Increment(ref _failed);
        _progress?.Report(new CamProgress("images", Explained + Failed, _total));
    }

    // Writes from the host arrays the model's thread copied: no tensor (and no libtorch call) on this thread.
    // A detector's row writes NAME_detK.npy (and .png), its box highlighted among the image's boxes on the overlay.
    private List<string> WriteOutputs(ExplainedImage image, ExplainedRow explained)
    {
        var row = explained.Row;
        string stem = ImageSetRun.OutputStem(row.Input) + (row.Detection is int d ? $"_det{d}" : "");
        var map = explained.Map!;
        var outputs = new List<string> { stem + ".npy" };
        AtomicFile.Write(Path.Combine(_outDir, outputs[0]), temp => NpyFile.Write(temp, map.Values, map.Shape, _options.MapDtype));
        if (_options.WriteOverlay)
        {
            outputs.Add(stem + ".png");
            string? caption = _options.CaptionOverlay ? Caption(row) : null;
            if (row.Box is null)
                AtomicFile.Write(Path.Combine(_outDir, outputs[^1]), temp => CamImageWriter.SaveOverlay(image.Picture!, map.Values, temp, _options.Alpha, caption));
            else
                AtomicFile.Write(Path.Combine(_outDir, outputs[^1]), temp => CamImageWriter.SaveBoxOverlay(image.Picture!, map.Values, Boxes(image, row), temp, _options.Alpha, caption));
        }
        foreach (var (suffix, components) in explained.Components)
        {
            outputs.Add($"{stem}_{suffix}.npy");
            AtomicFile.Write(Path.Combine(_outDir, outputs[^1]), temp => NpyFile.Write(temp, components.Values, components.Shape, _options.MapDtype));
            if (!_options.WriteOverlay) continue;
            outputs.Add($"{stem}_{suffix}.png");
            AtomicFile.Write(Path.Combine(_outDir, outputs[^1]), temp => SaveGrid(image.Picture!, row, components, temp));
        }
        return outputs;
    }

    /// <summary>The image's boxes with their tags, <paramref name="row"/>'s highlighted (as explain draws one image's detections).</summary>
    private static List<LabeledBox> Boxes(ExplainedImage image, ManifestRow row) =>
        image.Rows.Select(r => r.Row).Where(r => r.Box is not null)
            .Select(r => new LabeledBox(BoxOf(r), LabeledBox.Tag(r.Label ?? "", r.DetectionScore), r.Detection == row.Detection)).ToList();

    private static BoundingBox BoxOf(ManifestRow row) => new(row.Box![0], row.Box[1], row.Box[2], row.Box[3]);

    // The components as a grid of overlays on the picture, each normalised to [0, 1] and labelled with its number,
    // weight and singular value (as explain draws DecomCAM's OSSM grid).
    private void SaveGrid(SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgb24> picture, ManifestRow row, HostArray components, string path)
    {
        int count = (int)components.Shape[0], height = (int)components.Shape[1], width = (int)components.Shape[2];
        var maps = Enumerable.Range(0, count).Select(q => MinMax(components.Values.AsSpan(q * height * width, height * width))).ToList();
        var (weights, singular) = (row.OssmWeights, row.OssmSingularValues);
        var labels = weights is null && singular is null ? null
            : Enumerable.Range(0, count).Select(q => IntermediateImage.PanelLabel(q, weights?[q], singular?[q])).ToList();
        using var grid = CamImageWriter.CreateGrid(maps, width, height, picture, alpha: _options.Alpha, labels: labels);
        grid.SaveAsPng(path);
    }

    private static float[] MinMax(ReadOnlySpan<float> values)
    {
        float min = float.MaxValue, max = float.MinValue;
        foreach (float v in values) (min, max) = (Math.Min(min, v), Math.Max(max, v));
        var result = new float[values.Length];
        if (max > min)
            for (int i = 0; i < values.Length; i++) result[i] = (values[i] - min) / (max - min);
        return result;
    }

    // What the overlay explains: the target (each image's top class when none was given) and its score; a detector's box
    // as explain captions it.
    private static string Caption(ManifestRow row) => row.Box is null
        ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{row.Target ?? $"class {row.Class}"}, score {row.Score:F4}")
        : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"box {BoxOf(row)} {LabeledBox.Tag(row.Label ?? "", row.DetectionScore)}, target score {row.Score:F4}");
}
