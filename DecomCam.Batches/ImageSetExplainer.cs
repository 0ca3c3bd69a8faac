using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using DecomCamNet.Detection;
using DecomCamNet.Imaging;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using static TorchSharp.torch;

namespace DecomCamNet.Batches;

/// <summary>
/// The explain stage of <see cref="ImageSetRun"/>, on the model's thread: gathers decoded images into batches of equal-sized
/// images (other sizes wait for their own batch), explains each full batch, copies its maps off the device and posts the
/// images to <see cref="ImageSetWriter"/> (a detector's image with a row per box: <see cref="ImageSetOptions.Detection"/>).
/// An image that could not be decoded becomes a failed row. A batch of several images that the method refuses with a
/// <see cref="CamException"/> (a problem of one image's: a NaN output, all-zero gradients) is explained again one image at
/// a time, so that only the images it refuses alone fail; every image of a batch refused otherwise (a bad argument, a
/// native error such as running out of memory) becomes a failed row. Owns the pictures it holds until they are posted.
/// </summary>
internal sealed class ImageSetExplainer : IDisposable
{
    private readonly ICamMethod _method;
    private readonly ImagePreprocessing _preprocessing;
    private readonly Device _device;
    private readonly ImageSetOptions _options;
    private readonly ManifestRow _blank;
    private readonly ImageSetWriter _writer;
    private readonly ILogger _logger;
    private readonly Dictionary<(int, int), List<DecodedImage>> _pending = [];
    private readonly Stopwatch _modelClock = new();
    private readonly Stopwatch _waitClock = new();
    private double? _startup;

    /// <summary>The run's token, handed to each method call so that a cancel also stops a long call (Score-CAM's masked forwards).</summary>
    private CancellationToken _cancellation;

    /// <summary>A stage explaining with <paramref name="method"/> and posting to <paramref name="writer"/>.</summary>
    /// <param name="method">The method, bound to the model and layers (used from the calling thread only).</param>
    /// <param name="preprocessing">How pictures become model inputs.</param>
    /// <param name="device">The model's device.</param>
    /// <param name="options">Batch size, target and outputs.</param>
    /// <param name="blank">Each image's row before its input, hash, seconds and outcome are filled in.</param>
    /// <param name="writer">The output stage.</param>
    /// <param name="logger">Where a batch explained again one image at a time is logged; <c>null</c> for nowhere.</param>
    public ImageSetExplainer(ICamMethod method, ImagePreprocessing preprocessing, Device device, ImageSetOptions options, ManifestRow blank, ImageSetWriter writer,
        ILogger? logger) =>
        (_method, _preprocessing, _device, _options, _blank, _writer, _logger) = (method, preprocessing, device, options, blank, writer, logger ?? NullLogger.Instance);

    /// <summary>Time spent in the model: explaining batches and copying their maps off the device.</summary>
    public double ModelSeconds => _modelClock.Elapsed.TotalSeconds;

    /// <summary>Batches of several images that the method refused and that were explained again one image at a time.</summary>
    public int RetriedBatches { get; private set; }

    /// <summary>Time spent waiting for decoded input.</summary>
    public double WaitSeconds => _waitClock.Elapsed.TotalSeconds;

    /// <summary>The part of <see cref="WaitSeconds"/> before the first batch (all of it when no batch ran).</summary>
    public double StartupWaitSeconds => _startup ?? WaitSeconds;

    /// <summary>
    /// Reads <paramref name="input"/> until it completes, explaining each batch as it fills; the batches left short wait for
    /// <see cref="Flush"/>.
    /// </summary>
    public void ExplainAll(ChannelReader<DecodedImage> input, CancellationToken cancellationToken)
    {
        _cancellation = cancellationToken;
        while (true)
        {
            if (!input.TryRead(out var item))
            {
                _waitClock.Start();
                bool more = input.WaitToReadAsync(cancellationToken).AsTask().GetAwaiter().GetResult();
                _waitClock.Stop();
                if (!more) break;
                continue;
            }
            if (item.Picture is null)
            {
                _writer.Post(ExplainedImage.Failed(Row(item.Path, item.Sha256, 0) with { Error = item.Error }));
                continue;
            }
            var key = (item.Picture.Width, item.Picture.Height);
            if (!_pending.TryGetValue(key, out var group)) _pending[key] = group = [];
            group.Add(item);
            if (group.Count == _options.ImagesPerBatch) Explain(group);
        }
    }

    /// <summary>Explains the batches left short when the input ended.</summary>
    public void Flush()
    {
        foreach (var group in _pending.Values.Where(g => g.Count > 0)) Explain(group);
    }

    /// <summary>Disposes the pictures of batches not explained (the run failed or was cancelled).</summary>
    public void Dispose()
    {
        foreach (var item in _pending.Values.SelectMany(g => g)) item.Picture?.Dispose();
    }

    private void Explain(List<DecodedImage> batch)
    {
        _startup ??= _waitClock.Elapsed.TotalSeconds;
        _modelClock.Start();
        var explained = ExplainBatch(batch);
        _modelClock.Stop();
        batch.Clear();
        for (int i = 0; i < explained.Count; i++)
        {
            try { _writer.Post(explained[i]); }
            catch { foreach (var unposted in explained.Skip(i + 1)) unposted.Dispose(); throw; }
        }
    }

    /// <summary>
    /// Explains one batch and copies each row's map (and component maps) off the device; the pictures pass to the returned
    /// images. A batch of several images that the method refuses with a <see cref="CamException"/> is explained again one
    /// image at a time (each image's seconds then add its share of the refused call, <paramref name="refusedShare"/>). When
    /// the method (or the detector) refuses the batch otherwise, or refuses an image alone, every image of it becomes a
    /// failed row with the error and the pictures are disposed.
    /// </summary>
    private List<ExplainedImage> ExplainBatch(List<DecodedImage> batch, double refusedShare = 0)
    {
        var clock = Stopwatch.StartNew();
        List<ExplainedRow>[] rows;
        try
        {
            using var scope = NewDisposeScope();
            var input = cat(batch.Select(d => ImageLoader.ToTensor(d.Picture!, _preprocessing, _device)).ToList(), 0);
            rows = _options.Detection is { } detection ? ExplainBoxes(batch, input, detection) : ExplainClasses(batch, input);
        }
        catch (CamException e) when (batch.Count > 1)
        {
            RetriedBatches++;
            _logger.LogInformation("The method refused a batch of {Images} images ({Error}); explaining them one at a time.", batch.Count, e.Message);
            double share = clock.Elapsed.TotalSeconds / batch.Count;
            var explained = new List<ExplainedImage>(batch.Count);
            foreach (var image in batch) explained.AddRange(ExplainBatch([image], share));
            return explained;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or CamException or ExternalException)
        {
            double failedSeconds = refusedShare + clock.Elapsed.TotalSeconds / batch.Count;
            foreach (var item in batch) item.Picture!.Dispose();
            return batch.Select(d => ExplainedImage.Failed(Row(d.Path, d.Sha256, failedSeconds) with { Error = e.Message })).ToList();
        }
        double seconds = refusedShare + clock.Elapsed.TotalSeconds / batch.Count;
        return batch.Select((image, i) => new ExplainedImage(image.Picture,
            rows[i].Select(r => r with { Row = r.Row with { Seconds = seconds } }).ToList())).ToList();
    }

    /// <summary>One row per image: the target of <see cref="ImageSetOptions.Target"/>, or each image's top class.</summary>
    private List<ExplainedRow>[] ExplainClasses(List<DecodedImage> batch, Tensor input)
    {
        using var result = _method.Explain(input, _options.Target, cancellationToken: _cancellation);
        var copied = Copied.Of(result, _options.WriteComponents);
        var rows = new List<ExplainedRow>[batch.Count];
        for (int row = 0; row < copied.Maps.Length; row++)
        {
            var image = batch[(int)result.ImageIndex[row]];
            rows[result.ImageIndex[row]] = [copied.RowOf(row, Row(image.Path, image.Sha256, 0) with { Class = copied.Classes?[row] })];
        }
        return rows;
    }

    /// <summary>
    /// One row per box of each image (<see cref="ImageSetDetection"/>): the boxes from one forward of the detector, all of
    /// the batch's boxes explained in one call (<see cref="CamTarget.Boxes"/>); an image without boxes gets one row saying so.
    /// </summary>
    private List<ExplainedRow>[] ExplainBoxes(List<DecodedImage> batch, Tensor input, ImageSetDetection detection)
    {
        var selected = detection.Select(input);
        var rows = batch.Select(d => new List<ExplainedRow>()).ToArray();
        var found = Enumerable.Range(0, batch.Count).Where(i => selected[i].Count > 0).ToArray();
        foreach (int i in Enumerable.Range(0, batch.Count).Except(found))
            rows[i].Add(new ExplainedRow(Row(batch[i].Path, batch[i].Sha256, 0) with { Detections = 0 }, null, []));
        if (found.Length == 0) return rows;
        var explained = found.Length == batch.Count ? input : input.index_select(0, tensor(found.Select(i => (long)i).ToArray(), device: input.device));
        var target = CamTarget.Boxes(found.Select(i => (IReadOnlyList<ReferenceBox>)selected[i].Select(b => b.Reference).ToArray()).ToArray(), layout: detection.Layout);
        using var result = _method.Explain(explained, target, cancellationToken: _cancellation);
        var copied = Copied.Of(result, _options.WriteComponents);
        for (int row = 0; row < copied.Maps.Length; row++) // image-major, each image's boxes in order
        {
            int i = found[(int)result.ImageIndex[row]], k = rows[i].Count;
            var box = selected[i][k];
            rows[i].Add(copied.RowOf(row, Row(batch[i].Path, batch[i].Sha256, 0) with
            {
                Class = box.Reference.ClassIndex, Detection = k, Detections = selected[i].Count, Box = box.Reference.Box.ToArray(),
                Label = detection.LabelOf(box.Reference.ClassIndex), DetectionScore = box.DetectionScore,
            }));
        }
        return rows;
    }

    /// <summary>A result's rows copied off the device: maps, component maps, classes, scores, component weights.</summary>
    private sealed record Copied(HostArray[] Maps, (string FileSuffix, HostArray Maps)[][] Components, long[]? Classes, float[] Scores,
        float[][]? Weights, float[][]? Singular)
    {
        public static Copied Of(CamResult result, bool withComponents)
        {
            using var scope = NewDisposeScope();
            var cpuMaps = result.Maps.cpu();
            int count = (int)cpuMaps.shape[0];
            var maps = Enumerable.Range(0, count).Select(row => HostArray.Of(cpuMaps[row])).ToArray();
            var stacks = withComponents
                ? result.IntermediateImages.Where(i => i.Drawing == IntermediateDrawing.ComponentGrid).Select(i => (i.FileSuffix, Maps: result.Intermediate(i.Name).cpu())).ToList()
                : [];
            var components = Enumerable.Range(0, count).Select(row => stacks.Select(s => (s.FileSuffix, HostArray.Of(s.Maps[row]))).ToArray()).ToArray();
            var weighted = result.IntermediateImages.FirstOrDefault(i => i.Drawing == IntermediateDrawing.ComponentGrid && (i.Weights ?? i.SingularValues) is not null);
            return new Copied(maps, components, result.Classes?.cpu().data<long>().ToArray(), result.Scores.cpu().data<float>().ToArray(),
                Rows(result, weighted?.Weights), Rows(result, weighted?.SingularValues));
        }

        /// <summary>Row <paramref name="row"/>'s map and component maps, with its score and component weights filled into <paramref name="manifestRow"/>.</summary>
        public ExplainedRow RowOf(int row, ManifestRow manifestRow) =>
            new(manifestRow with { Score = Scores[row], OssmWeights = Weights?[row], OssmSingularValues = Singular?[row] }, Maps[row], Components[row]);
    }

    /// <summary>The rows of a [M,Q] intermediate as host arrays, or null when it is not named.</summary>
    private static float[][]? Rows(CamResult result, string? name)
    {
        if (name is null) return null;
        var values = result.Intermediate(name).cpu().to_type(ScalarType.Float32);
        return Enumerable.Range(0, (int)values.shape[0]).Select(row => values[row].data<float>().ToArray()).ToArray();
    }

    private ManifestRow Row(string path, string sha256, double seconds) => _blank with { Input = path, Sha256 = sha256, Seconds = seconds };
}
