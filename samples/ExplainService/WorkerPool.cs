using System.Threading.Channels;

namespace DecomCamNet.ExplainService;

/// <summary>
/// A fixed number of <see cref="ExplainWorker"/> threads taking jobs from one bounded queue. A request that finds the
/// queue full is refused at once (the endpoint answers 503), so load never piles up unbounded. Disposing stops taking
/// requests, lets the workers finish the queued ones, and disposes every model and method on its own thread.
/// </summary>
public sealed class WorkerPool : IDisposable
{
    private readonly Channel<ExplainJob> _queue;
    private readonly List<ExplainWorker> _workers = [];
    private bool _disposed;

    /// <summary>Starts the workers and waits until each has loaded its models.</summary>
    /// <exception cref="AggregateException">A worker could not load a model (the pool is disposed).</exception>
    public WorkerPool(ExplainServiceOptions options, ModelCatalog catalog, ServiceStats stats, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _queue = Channel.CreateBounded<ExplainJob>(new BoundedChannelOptions(options.QueueCapacity) { FullMode = BoundedChannelFullMode.Wait });
        int torchThreads = options.TorchThreadsPerWorker ?? Math.Max(1, Environment.ProcessorCount / options.Workers);
        var logger = loggers.CreateLogger<WorkerPool>();
        for (int i = 0; i < options.Workers; i++)
            _workers.Add(new ExplainWorker(i, _queue.Reader, catalog, options, torchThreads, stats, logger));
        foreach (var worker in _workers) worker.Start();
        try
        {
            Task.WaitAll(_workers.Select(w => w.Ready).ToArray());
        }
        catch
        {
            Dispose();
            throw;
        }
        logger.LogInformation("{Workers} workers ready, {Threads} libtorch threads each, queue of {Capacity}", options.Workers, torchThreads, options.QueueCapacity);
    }

    /// <summary>Workers whose thread is running.</summary>
    public int AliveWorkers => _workers.Count(w => w.IsAlive);

    /// <summary>Jobs waiting for a worker.</summary>
    public int Queued => _queue.Reader.Count;

    /// <summary>Queues <paramref name="job"/>; false when the queue is full or the pool is shutting down.</summary>
    public bool TryEnqueue(ExplainJob job) => _queue.Writer.TryWrite(job);

    /// <summary>Stops taking jobs, waits for the queued ones and the workers.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _queue.Writer.TryComplete();
        foreach (var worker in _workers) worker.Join();
        while (_queue.Reader.TryRead(out var orphan)) // only where a worker died: nobody else will answer these
        {
            orphan.Picture.Dispose();
            orphan.Completion.TrySetResult(ExplainOutcome.Failed(503, "The service is shutting down."));
        }
    }
}
