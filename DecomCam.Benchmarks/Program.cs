using BenchmarkDotNet.Running;
using DecomCamNet.Benchmarks;
using DecomCamNet.Native;

NativeHeap.KeepFreedMemory(); // as the command line does; BenchmarkDotNet runs cases on a worker thread, where it pays most
OpenMpThreads.UsePassiveWaits(); // as the command line does, before the first TorchSharp call
if (args.Length > 0 && args[0] == "image-sets") ImageSetThroughput.Run(args[1..]); // not a BenchmarkDotNet case: one timed pass over a folder
else if (args.Length > 0 && args[0] == "breakdown") CallBreakdown.Run(args[1..]); // where one Grad-CAM / Eigen-CAM call spends its time
else if (args.Length > 0 && args[0] == "floor") return ForwardFloor.Run(args[1..]); // the forwards a method cannot avoid, for compare-anchors.sh
else if (args.Length > 0 && args[0] == "soak") return SoakCommand.Run(args[1..]); // the sample service under concurrent load
else BenchmarkSwitcher.FromAssembly(typeof(CamBenchmarks).Assembly).Run(args, BenchmarkConfig.Create());
return 0;
