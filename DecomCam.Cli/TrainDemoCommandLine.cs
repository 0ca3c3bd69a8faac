using System.CommandLine;
using System.CommandLine.Parsing;

namespace DecomCamNet.Cli;

/// <summary>
/// <c>decomcam train-demo</c>: its options and the action that binds them to <see cref="TrainDemoOptions"/> and runs
/// <see cref="TrainDemoCommand"/>.
/// </summary>
internal sealed class TrainDemoCommandLine
{
    public const string Description = "Trains the bundled demo model (SceneNet: 8 shape classes, multi-label) on fresh generated " +
        "scenes and writes its weights (.safetensors), class names (.labels.txt) and held-out report (.json). The defaults " +
        "reproduce the bundled weights: about 3.5 minutes on an H200 with --device cuda, hours on 2 CPU cores.";

    private static readonly TrainDemoOptions Defaults = new();

    private readonly Option<int> _seed = CheckedOptions.Int("--seed", "weight initialisation and scene stream", 0, Defaults.Seed);
    private readonly Option<int> _steps = CheckedOptions.Int("--steps", "optimiser steps, each on --batch-size fresh scenes", 1, Defaults.Steps);
    private readonly Option<int> _batchSize = CheckedOptions.Int("--batch-size", "scenes per step", 1, Defaults.BatchSize);
    private readonly Option<double> _lr = CheckedOptions.Number("--lr", "peak learning rate of the one-cycle schedule (AdamW)", 1e-6, 1, Defaults.LearningRate);
    private readonly Option<int> _heldOut = CheckedOptions.Int("--held-out", "held-out scenes for the accuracy report", 1, Defaults.HeldOut);
    private readonly Option<string> _device = new("--device") { HelpName = "D", DefaultValueFactory = _ => Defaults.Device,
        Description = "cpu, cuda, cuda:1, ..." };
    private readonly Option<int?> _threads = CheckedOptions.OptionalInt("--threads", "CPU threads for torch (default: all cores)", 1);
    private readonly Option<string> _out = new("--out", "-o") { HelpName = "PATH", DefaultValueFactory = _ => Defaults.Out,
        Description = "the weights file (.safetensors); the labels and the report are written beside it" };

    /// <summary>The <c>train-demo</c> command.</summary>
    public static Command Create() => new TrainDemoCommandLine().AddTo(new Command("train-demo", Description));

    private Command AddTo(Command command)
    {
        Option[] options = [_seed, _steps, _batchSize, _lr, _heldOut, _device, _threads, _out];
        foreach (var option in options) command.Options.Add(option);
        command.SetAction(p =>
        {
            NativeHeap.KeepFreedMemory();
            OpenMpThreads.UsePassiveWaits();
            return new TrainDemoCommand(Bind(p), p.InvocationConfiguration.Output, p.InvocationConfiguration.Error).Run();
        });
        return command;
    }

    private TrainDemoOptions Bind(ParseResult p) => new()
    {
        Seed = p.GetValue(_seed),
        Steps = p.GetValue(_steps),
        BatchSize = p.GetValue(_batchSize),
        LearningRate = p.GetValue(_lr),
        HeldOut = p.GetValue(_heldOut),
        Device = p.GetRequiredValue(_device),
        Threads = p.GetValue(_threads),
        Out = p.GetRequiredValue(_out),
    };
}
