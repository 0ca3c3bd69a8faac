namespace DecomCamNet.ExplainService.Soak;

/// <summary>How long and how hard <see cref="ExplainSoak"/> loads the service.</summary>
public sealed record SoakOptions
{
    /// <summary>How long the concurrent load runs (after the reference pass).</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Concurrent request loops.</summary>
    public int Threads { get; init; } = 2;

    /// <summary>The most requests one loop sends (the load ends at <see cref="Duration"/> or here, whichever comes first).</summary>
    public int MaxRequestsPerLoop { get; init; } = 1_000_000;

    /// <summary>Service workers; default: one per core.</summary>
    public int Workers { get; init; } = Environment.ProcessorCount;

    /// <summary>An ONNX CNN to serve and load as well; null: none.</summary>
    public string? OnnxModel { get; init; }

    /// <summary>
    /// The largest difference allowed between a map served under load and the same request served alone. The maps lie in
    /// [0,1] and come from the same kernels with the same thread count, so they should agree to float32 rounding (about
    /// 1e-7 per operation, a few 1e-6 after the reductions of a forward and backward pass, which can differ in order when
    /// the allocator hands out differently aligned buffers); 1e-4 leaves room for that on any x86-64 CPU, while a hook
    /// that fired on another thread's model, a freed tensor read back or a wrong target moves a map by 1e-2 or more.
    /// </summary>
    public double Tolerance { get; init; } = 1e-4;

    /// <summary>Where the seeded weight files are written; null: a new temporary folder, deleted afterwards.</summary>
    public string? WorkDirectory { get; init; }
}
