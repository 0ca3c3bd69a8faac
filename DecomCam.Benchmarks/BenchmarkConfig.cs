using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace DecomCamNet.Benchmarks;

/// <summary>
/// A short in-process job (CAM calls take 0.05 to 30 s each, so few iterations suffice; two warm-ups, because fresh pages
/// are slow to fault in on the VMs we measure on; in-process, because the host is the build that carries the libstdc++
/// fix), the median, managed allocations, and each case's peak resident memory.
/// </summary>
internal static class BenchmarkConfig
{
    public static IConfig Create() => DefaultConfig.Instance
        .AddJob(Job.Default.WithToolchain(new InProcessEmitToolchain(TimeSpan.FromMinutes(20), logOutput: true)).WithLaunchCount(1).WithWarmupCount(2).WithIterationCount(5).WithInvocationCount(1).WithUnrollFactor(1))
        .AddDiagnoser(MemoryDiagnoser.Default)
        .AddColumn(StatisticColumn.Median)
        .AddColumn(new PeakMemoryColumn())
        .WithOptions(ConfigOptions.DisableOptimizationsValidator);
}
