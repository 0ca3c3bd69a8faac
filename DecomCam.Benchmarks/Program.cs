using BenchmarkDotNet.Running;
using DecomCamNet.Benchmarks;

BenchmarkSwitcher.FromAssembly(typeof(CamBenchmarks).Assembly).Run(args, BenchmarkConfig.Create());
