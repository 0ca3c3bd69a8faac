using BenchmarkDotNet.Running;
using DecomCamNet;
using DecomCamNet.Benchmarks;

NativeHeap.KeepFreedMemory(); // as the command line does; BenchmarkDotNet runs cases on a worker thread, where it pays most
OpenMpThreads.UsePassiveWaits(); // as the command line does, before the first TorchSharp call
BenchmarkSwitcher.FromAssembly(typeof(CamBenchmarks).Assembly).Run(args, BenchmarkConfig.Create());
