using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;

namespace DecomCamNet.Benchmarks;

/// <summary>
/// A short job (CAM calls take 0.05 to 30 s each, so few iterations suffice), the median, managed allocations, and the
/// peak native memory of each case's process.
/// </summary>
internal static class BenchmarkConfig
{
    public static IConfig Create() => DefaultConfig.Instance
        .AddJob(Job.Default.WithLaunchCount(1).WithWarmupCount(1).WithIterationCount(5).WithInvocationCount(1).WithUnrollFactor(1))
        .AddDiagnoser(MemoryDiagnoser.Default)
        .AddColumn(StatisticColumn.Median)
        .AddColumn(new PeakMemoryColumn())
        .WithOptions(ConfigOptions.DisableOptimizationsValidator);
}
