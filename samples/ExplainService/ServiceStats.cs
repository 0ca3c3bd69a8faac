namespace DecomCamNet.ExplainService;

/// <summary>Counters of the service since it started (thread-safe).</summary>
public sealed class ServiceStats
{
    private long _served, _rejected, _clientErrors, _serverErrors, _workerCrashes;

    /// <summary>Requests answered 200.</summary>
    public long Served => Interlocked.Read(ref _served);

    /// <summary>Requests answered 503 because the queue was full.</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>Requests answered 400.</summary>
    public long ClientErrors => Interlocked.Read(ref _clientErrors);

    /// <summary>Requests answered 500: an exception a request should not cause (a bug, or a native failure).</summary>
    public long ServerErrors => Interlocked.Read(ref _serverErrors);

    /// <summary>Worker threads that ended other than by shutdown (an exception escaped the job loop).</summary>
    public long WorkerCrashes => Interlocked.Read(ref _workerCrashes);

    internal void Count(int status)
    {
        switch (status)
        {
            case 200: Interlocked.Increment(ref _served); break;
            case 503: Interlocked.Increment(ref _rejected); break;
            case >= 500: Interlocked.Increment(ref _serverErrors); break;
            default: Interlocked.Increment(ref _clientErrors); break;
        }
    }

    internal void CountWorkerCrash() => Interlocked.Increment(ref _workerCrashes);
}
