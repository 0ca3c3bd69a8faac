namespace DecomCamNet.ExplainService.Soak;

/// <summary>
/// A thread that allocates managed garbage and forces full collections with finalizers, again and again: it makes the
/// finalizer run while workers are inside native calls, which is when a Scalar or tensor that only the finalizer owns
/// would be freed under them.
/// </summary>
internal sealed class GarbageChurn : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private long _collections;

    public GarbageChurn()
    {
        _thread = new Thread(Run) { Name = "soak-gc", IsBackground = true };
        _thread.Start();
    }

    /// <summary>Forced collections so far.</summary>
    public long Collections => Interlocked.Read(ref _collections);

    public void Dispose()
    {
        _stop.Cancel();
        _thread.Join();
        _stop.Dispose();
    }

    private void Run()
    {
        var random = new Random(0);
        while (!_stop.IsCancellationRequested)
        {
            var garbage = new List<object>();
            for (int i = 0; i < 2000; i++) garbage.Add(new byte[random.Next(16, 64 * 1024)]);
            garbage.Clear();
            GC.Collect();
            GC.WaitForPendingFinalizers();
            Interlocked.Increment(ref _collections);
            _stop.Token.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(20));
        }
    }
}
