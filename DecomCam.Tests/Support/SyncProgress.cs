namespace DecomCamNet.Tests.Support;

/// <summary>Reports progress synchronously on the calling thread (<see cref="Progress{T}"/> posts to the thread pool).</summary>
internal sealed class SyncProgress(Action<CamProgress> report) : IProgress<CamProgress>
{
    public void Report(CamProgress value) => report(value);
}
