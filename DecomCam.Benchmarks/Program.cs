using BenchmarkDotNet.Running;
using DecomCamNet;
using DecomCamNet.Benchmarks;

NativeHeap.UseHugePages(); // as the command line does, before any tensor
NativeHeap.KeepFreedMemory(); // BenchmarkDotNet runs cases on a worker thread, where this pays (see NativeHeap)
BenchmarkSwitcher.FromAssembly(typeof(CamBenchmarks).Assembly).Run(args, BenchmarkConfig.Create());
