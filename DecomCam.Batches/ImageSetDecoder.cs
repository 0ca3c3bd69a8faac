using System.Threading.Channels;
using DecomCamNet.Imaging;
using SixLabors.ImageSharp;

namespace DecomCamNet.Batches;

/// <summary>
/// The decode stage of <see cref="ImageSetRun"/>: threads that read each file once, hash (SHA-256) and decode the same
/// bytes and preprocess the picture, handing the images over through a bounded queue (<see cref="Reader"/>), so memory
/// does not grow with the set. A file that cannot be read or decoded becomes an image with its error, and the stage goes
/// on; any other failure completes the queue with it, and <see cref="Complete"/> rethrows it.
/// </summary>
internal sealed class ImageSetDecoder : IDisposable
{
    private readonly Channel<DecodedImage> _queue;
    private readonly CancellationTokenSource _stop;
    private readonly Task _threads;
    private readonly ImagePreprocessing _preprocessing;
    private readonly int _decoders;

    /// <summary>Starts decoding <paramref name="paths"/>.</summary>
    /// <param name="paths">The files, queued in about this order.</param>
    /// <param name="preprocessing">How files become model inputs.</param>
    /// <param name="decoders">Threads that decode.</param>
    /// <param name="capacity">Decoded images waiting to be read, at most.</param>
    /// <param name="cancellationToken">Stops the stage.</param>
    public ImageSetDecoder(IReadOnlyList<string> paths, ImagePreprocessing preprocessing, int decoders, int capacity, CancellationToken cancellationToken)
    {
        (_preprocessing, _decoders) = (preprocessing, decoders);
        _queue = Channel.CreateBounded<DecodedImage>(new BoundedChannelOptions(capacity) { SingleReader = true });
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _threads = Task.Run(() => DecodeAll(paths, _queue.Writer, _stop.Token));
    }

    /// <summary>The decoded images, in the order they were finished; completes after the last.</summary>
    public ChannelReader<DecodedImage> Reader => _queue.Reader;

    /// <summary>Waits for the stage's threads; rethrows a failure other than a file's own.</summary>
    public void Complete() => _threads.GetAwaiter().GetResult();

    /// <summary>Stops the stage, waits for its threads without rethrowing, and disposes the images no one read.</summary>
    public void Dispose()
    {
        _stop.Cancel();
        try { _threads.Wait(CancellationToken.None); } catch (AggregateException) { /* cancelled, or already rethrown by Complete */ }
        while (_queue.Reader.TryRead(out var left)) left.Picture?.Dispose();
        _stop.Dispose();
    }

    private async Task DecodeAll(IReadOnlyList<string> paths, ChannelWriter<DecodedImage> writer, CancellationToken token)
    {
        try
        {
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = _decoders, CancellationToken = token };
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

    private DecodedImage DecodeOne(string path)
    {
        string hash = "";
        try
        {
            var bytes = File.ReadAllBytes(path); // read once: hashed and decoded from the same bytes
            hash = ContentHash.Of(bytes);
            return new DecodedImage(path, hash, ImageLoader.LoadRgb(bytes, path, _preprocessing), null);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or NotSupportedException or ImageFormatException)
        {
            return new DecodedImage(path, hash, null, e.Message);
        }
    }
}
