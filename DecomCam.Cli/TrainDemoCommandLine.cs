using System.CommandLine;
using DecomCamNet.Evaluation.Training;
using DecomCamNet.Native;

namespace DecomCamNet.Cli;

/// <summary>
/// <c>decomcam train-demo</c>: its options and the action that binds them to <see cref="TrainDemoOptions"/> and runs
/// <see cref="TrainDemoCommand"/>.
/// </summary>
internal sealed class TrainDemoCommandLine
{
    public const string Description = "Trains a bundled demo model (SceneNet, or with --arch vit the scene ViT; 8 shape classes, " +
        "multi-label) on fresh generated scenes and writes its weights (.safetensors), class names (.labels.txt) and held-out " +
        "report (.json). The defaults reproduce the bundled weights: SceneNet about 3.5 minutes on an H200 with --device cuda, " +
        "hours on 2 CPU cores; the ViT about 21 minutes on 2 CPU cores.";

    private static readonly TrainDemoOptions Defaults = new();

    private readonly BoundOptions<TrainDemoOptions> _bound = new();

    private readonly CliCommandLine _globals;

    private TrainDemoCommandLine(CliCommandLine globals)
    {
        _globals = globals;
        _bound.Add(CheckedOptions.Choice("--arch", "the model to train: SceneNet (CNN) or the scene ViT", Defaults.Architecture,
                ("scenenet", DemoArchitecture.SceneNet), ("vit", DemoArchitecture.Vit)),
            (o, v) => o with { Architecture = v ?? Defaults.Architecture });
        var seed = _bound.Add(CheckedOptions.Int("--seed", "weight initialisation and scene stream", 0, Defaults.Seed),
            (o, v) => o with { Seed = v });
        var steps = _bound.Add(CheckedOptions.OptionalInt("--steps", "optimiser steps, each on --batch-size fresh scenes " +
                $"(default {DemoTrainingOptions.For(DemoArchitecture.SceneNet).Steps}; vit {DemoTrainingOptions.Vit.Steps})", 1),
            (o, v) => o with { Steps = v });
        _bound.Add(CheckedOptions.OptionalInt("--batch-size", "scenes per step " +
                $"(default {DemoTrainingOptions.For(DemoArchitecture.SceneNet).BatchSize}; vit {DemoTrainingOptions.Vit.BatchSize})", 1),
            (o, v) => o with { BatchSize = v });
        var lr = _bound.Add(CheckedOptions.OptionalNumber("--lr", "peak learning rate of the one-cycle schedule (AdamW; default " +
                $"{DemoTrainingOptions.For(DemoArchitecture.SceneNet).MaxLearningRate.ToString(System.Globalization.CultureInfo.InvariantCulture)}; " +
                $"vit {DemoTrainingOptions.Vit.MaxLearningRate.ToString(System.Globalization.CultureInfo.InvariantCulture)})", 1e-6, 1),
            (o, v) => o with { LearningRate = v });
        _bound.Add(CheckedOptions.Int("--held-out", "held-out scenes for the accuracy report", 1, Defaults.HeldOut),
            (o, v) => o with { HeldOut = v });
        _bound.Add(CheckedOptions.Device(),
            (o, v) => o with { Device = v });
        var threads = _bound.Add(CheckedOptions.OptionalInt("--threads", "CPU threads for torch (default: all cores)", 1),
            (o, v) => o with { Threads = v });
        _bound.Add(new Option<string?>("--out", "-o") { HelpName = "PATH",
            Description = "the weights file (.safetensors; default scenenet.safetensors, with --arch vit scenevit.safetensors); the labels and the report are written beside it" },
            (o, v) => o with { Out = v });
    }

    /// <summary>The <c>train-demo</c> command.</summary>
    public static Command Create(CliCommandLine globals) => new TrainDemoCommandLine(globals).AddTo(new Command("train-demo", Description));

    private Command AddTo(Command command)
    {
        _bound.AddTo(command);
        command.SetAction(p =>
        {
            NativeHeap.KeepFreedMemory();
            OpenMpThreads.UsePassiveWaits();
            return new TrainDemoCommand(_bound.Bind(p, Defaults) with { Verbosity = _globals.Verbosity(p) }, p.InvocationConfiguration.Output, p.InvocationConfiguration.Error).Run();
        });
        return command;
    }
}
