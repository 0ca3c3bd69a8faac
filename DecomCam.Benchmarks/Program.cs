using BenchmarkDotNet.Running;
using DecomCamNet;
using DecomCamNet.Benchmarks;

NativeHeap.TuneForLibTorch(); // as the command line does, before any tensor; see NativeHeap
BenchmarkSwitcher.FromAssembly(typeof(CamBenchmarks).Assembly).Run(args, BenchmarkConfig.Create());
