using BenchmarkDotNet.Running;
using DecomCamNet;
using DecomCamNet.Benchmarks;

NativeHeap.KeepFreedMemory(); // as the command line does; see NativeHeap and README's benchmark section
BenchmarkSwitcher.FromAssembly(typeof(CamBenchmarks).Assembly).Run(args, BenchmarkConfig.Create());
