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
        "hours on 2 CPU cores; the ViT about 21 minutes on 2 CPU cores. With --task detect, the demo detector SceneDet " +
        "(YOLOv8 layout; held-out mAP@0.5).";

    private static readonly TrainDemoOptions Defaults = new();
    private static readonly TrainDemoOptions DetectDefaults = new() { Task = DemoTask.Detect };
    private static readonly TrainDemoOptions VitDefaults = new() { Architecture = DemoArchitecture.Vit };

    private readonly BoundOptions<TrainDemoOptions> _bound = new();

    private readonly CliCommandLine _globals;

    private TrainDemoCommandLine(CliCommandLine globals)
    {
        _globals = globals;
        _bound.Add(CheckedOptions.Choice("--task", "classify: a classifier (--arch); detect: SceneDet, the detector", DemoTask.Classify,
            ("classify", DemoTask.Classify), ("detect", DemoTask.Detect)),
            (o, v) => o with { Task = v ?? o.Task });
        _bound.Add(CheckedOptions.Choice("--arch", "the classifier to train: SceneNet (CNN) or the scene ViT", Defaults.Architecture,
                ("scenenet", DemoArchitecture.SceneNet), ("vit", DemoArchitecture.Vit)),
            (o, v) => o with { Architecture = v ?? Defaults.Architecture });
        var seed = _bound.Add(CheckedOptions.Int("--seed", "weight initialisation and scene stream", 0, Defaults.Seed),
            (o, v) => o with { Seed = v });
        var steps = _bound.Add(CheckedOptions.OptionalInt("--steps", $"optimiser steps, each on --batch-size fresh scenes [default: {Defaults.Steps}, vit {VitDefaults.Steps}, detect {DetectDefaults.Steps}]", 1),
            (o, v) => o with { StepsGiven = v });
        _bound.Add(CheckedOptions.OptionalInt("--batch-size", $"scenes per step [default: {Defaults.BatchSize}, vit {VitDefaults.BatchSize}, detect {DetectDefaults.BatchSize}]", 1),
            (o, v) => o with { BatchSizeGiven = v });
        var lr = _bound.Add(CheckedOptions.OptionalNumber("--lr", "peak learning rate of the one-cycle schedule (AdamW) " +
                $"[default: {Invariant(Defaults.LearningRate)}, vit {Invariant(VitDefaults.LearningRate)}, detect {Invariant(DetectDefaults.LearningRate)}]", 1e-6, 1),
            (o, v) => o with { LearningRateGiven = v });
        _bound.Add(CheckedOptions.OptionalInt("--held-out", $"held-out scenes for the accuracy (detect: mAP) report [default: {Defaults.HeldOut}, detect {DetectDefaults.HeldOut}]", 1),
            (o, v) => o with { HeldOutGiven = v });
        _bound.Add(CheckedOptions.Device(),
            (o, v) => o with { Device = v });
        var threads = _bound.Add(CheckedOptions.OptionalInt("--threads", "CPU threads for torch (default: all cores)", 1),
            (o, v) => o with { Threads = v });
        _bound.Add(new Option<string?>("--out", "-o") { HelpName = "PATH",
            Description = $"the weights file (.safetensors); the labels and the report are written beside it [default: {Defaults.Out}, vit {VitDefaults.Out}, detect {DetectDefaults.Out}]" },
            (o, v) => o with { OutGiven = v });
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

    private static string Invariant(double value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
