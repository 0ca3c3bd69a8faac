using DecomCamNet;
using DecomCamNet.Cli;

NativeHeap.TuneForLibTorch(); // before any tensor: batched forwards reuse memory instead of faulting fresh pages (see NativeHeap)
return CliApp.Run(args, Console.Out, Console.Error);
