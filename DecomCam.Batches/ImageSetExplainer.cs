using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using DecomCamNet.Imaging;
using static TorchSharp.torch;

namespace DecomCamNet.Batches;

/// <summary>
/// The explain stage of <see cref="ImageSetRun"/>, on the model's thread: gathers decoded images into batches of equal-sized
/// images (other sizes wait for their own batch), explains each full batch, copies its maps off the device and posts the
/// images to <see cref="ImageSetWriter"/>. An image that could not be decoded, and every image of a batch the method refuses,
/// becomes a failed row. Owns the pictures it holds until they are posted.
/// </summary>
internal sealed class ImageSetExplainer : IDisposable
{
    private readonly ICamMethod _method;
    private readonly ImagePreprocessing _preprocessing;
    private readonly Device _device;
    private readonly ImageSetOptions _options;
    private readonly ManifestRow _blank;
    private readonly ImageSetWriter _writer;
    private readonly Dictionary<(int, int), List<DecodedImage>> _pending = [];
    private readonly Stopwatch _modelClock = new();
    private readonly Stopwatch _waitClock = new();
    private double? _startup;

    /// <summary>A stage explaining with <paramref name="method"/> and posting to <paramref name="writer"/>.</summary>
    /// <param name="method">The method, bound to the model and layers (used from the calling thread only).</param>
    /// <param name="preprocessing">How pictures become model inputs.</param>
    /// <param name="device">The model's device.</param>
    /// <param name="options">Batch size, target and outputs.</param>
    /// <param name="blank">Each image's row before its input, hash, seconds and outcome are filled in.</param>
    /// <param name="writer">The output stage.</param>
    public ImageSetExplainer(ICamMethod method, ImagePreprocessing preprocessing, Device device, ImageSetOptions options, ManifestRow blank, ImageSetWriter writer) =>
        (_method, _preprocessing, _device, _options, _blank, _writer) = (method, preprocessing, device, options, blank, writer);

    /// <summary>Time spent in the model: explaining batches and copying their maps off the device.</summary>
    public double ModelSeconds => _modelClock.Elapsed.TotalSeconds;

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
    /// Explains one batch and copies each image's map (and component maps) off the device; the pictures pass to the returned images.
    /// When the method refuses the batch, every image becomes a failed row and the pictures are disposed.
    /// </summary>
    private List<ExplainedImage> ExplainBatch(List<DecodedImage> batch)
    {
        var clock = Stopwatch.StartNew();
        HostArray[] maps;
        (string FileSuffix, HostArray Maps)[][] components;
        long[]? classes;
        float[] scores;
        float[][]? weights, singular;
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
            var weighted = result.IntermediateImages.FirstOrDefault(i => i.Drawing == IntermediateDrawing.ComponentGrid && (i.Weights ?? i.SingularValues) is not null);
            (weights, singular) = (Rows(result, weighted?.Weights), Rows(result, weighted?.SingularValues));
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
            var explained = Row(image.Path, image.Sha256, seconds) with
            {
                Class = classes?[row], Score = scores[row], OssmWeights = weights?[row], OssmSingularValues = singular?[row],
            };
            return new ExplainedImage(explained, image.Picture, maps[row], components[row]);
        }).ToList();
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
