using BenchmarkDotNet.Attributes;

namespace DecomCamNet.Benchmarks;

/// <summary>
/// The shared shape of the benchmark classes: a derived class declares the parameter values; this class builds one
/// <see cref="CamWorkload"/> per case, times one call per invocation and records the case's peak memory.
/// </summary>
public abstract class WorkloadBenchmark
{
    private CamWorkload _workload = null!;

    /// <summary>A baseline or a method name.</summary>
    public abstract string Method { get; set; }

    /// <summary>The zoo model.</summary>
    public abstract string Model { get; set; }

    /// <summary>Images per call.</summary>
    public abstract int Batch { get; set; }

    /// <summary>The target layer; <see cref="CamWorkload.DefaultLayer"/> is the model's default one.</summary>
    public virtual string Layer { get; set; } = CamWorkload.DefaultLayer;

    /// <summary>Builds the case.</summary>
    [GlobalSetup]
    public void Setup() => _workload = new CamWorkload(Method, Model, Batch, Layer);

    /// <summary>One call.</summary>
    [Benchmark]
    public void Explain() => _workload.Run();

    /// <summary>Records peak memory; releases the case.</summary>
    [GlobalCleanup]
    public void Cleanup() => _workload.Dispose();
}
