using DecomCamNet;
using DecomCamNet.Cli;

NativeHeap.KeepFreedMemory(); // batched masked forwards reuse freed pages instead of faulting fresh ones (see NativeHeap)
return CliApp.Run(args, Console.Out, Console.Error);
