using System.CommandLine;
using System.CommandLine.Parsing;
using DecomCamNet.Batches;
using DecomCamNet.Models;
using DecomCamNet.Native;

namespace DecomCamNet.Cli;

/// <summary>
/// <c>decomcam evaluate</c>: its options, the checks that combine them, and the action that binds them to
/// <see cref="EvaluateOptions"/> and runs <see cref="EvaluateCommand"/>.
/// </summary>
internal sealed class EvaluateCommandLine
{
    public const string Description = "Faithfulness of CAM methods (Average Drop / Increase in Confidence, insertion and deletion " +
        "AUC, pointing and energy pointing games, ROAD; per confidence bin) on generated scenes with true object masks, or on " +
        "--images, each image explained for its predicted class; the model is the bundled SceneNet demo unless --model. --task detect " +
        "evaluates a detector instead: each detection's map against its object's mask and its box.";

    private static readonly EvaluateOptions Defaults = new();

    private readonly BoundOptions<EvaluateOptions> _bound = new();
    private readonly Action<CommandResult> _checks;

    private readonly CliCommandLine _globals;

    private EvaluateCommandLine(CliCommandLine globals)
    {
        _globals = globals;
        _bound.Group("Methods and images");
        var methods = _bound.Add(new Option<string[]>("--methods") { HelpName = "LIST", Arity = ArgumentArity.ExactlyOne, CustomParser = ParseMethods,
            Description = $"comma-separated, any of --method's names [default: {string.Join(",", Defaults.Methods)}]" },
            (o, v) => o with { Methods = v });
        var task = _bound.Add(new Option<string>("--task") { HelpName = "TASK", DefaultValueFactory = _ => Defaults.Task,
            Description = "classify (each image explained for its predicted class), or detect: a detector (--model scenedet) on held-out " +
                "generated scenes, each detection explained and scored by the pointing game and the energy in its object's mask and in its box" }
            .AcceptOnlyFromAmong("classify", "detect"),
            (o, v) => o with { Task = v });
        var confidence = _bound.Add(CheckedOptions.Number("--confidence", "with --task detect: a detection's class score must be above this", 0, 1, Defaults.Confidence),
            (o, v) => o with { Confidence = (float)v });
        var maxDetections = _bound.Add(CheckedOptions.Int("--max-detections", "with --task detect: detections explained per scene, highest scores first", 1, Defaults.MaxDetections),
            (o, v) => o with { MaxDetections = v });
        var count = _bound.Add(CheckedOptions.Int("--count", "generated scenes", 1, Defaults.Count),
            (o, v) => o with { Count = v });
        var seed = _bound.Add(CheckedOptions.Int("--seed", "scene seed", 0, Defaults.Seed),
            (o, v) => o with { Seed = v });
        var images = _bound.Add(new Option<string?>("--images") { HelpName = "DIR",
            Description = "PNG/JPEG images to use instead of generated scenes (sorted by name; at most --count)" },
            (o, v) => o with { Images = v });
        var masks = _bound.Add(new Option<string?>("--masks") { HelpName = "DIR",
            Description = "with --images: a mask PNG of the same name per image (non-zero = object) for the pointing games" },
            (o, v) => o with { Masks = v });
        _bound.Group("Model");
        var model = _bound.Add(CheckedOptions.Named("--model", "a zoo model, as for explain (default: the bundled scenenet)", ModelZoo.Names),
            (o, v) => o with { Model = v });
        var weights = _bound.Add(new Option<string?>("--weights") { HelpName = "PATH", Description = "its state dict, as for explain" },
            (o, v) => o with { Weights = v });
        var layer = _bound.Add(new Option<string?>("--layer") { HelpName = "NAME", Description = "target layer, as for explain" },
            (o, v) => o with { Layer = v });
        _bound.Group("Metrics");
        var steps = _bound.Add(CheckedOptions.Int("--steps", "insertion/deletion steps", 2, Defaults.Steps),
            (o, v) => o with { Steps = v });
        var bins = _bound.Add(CheckedOptions.Int("--bins", "confidence bins for the per-bin report (equal counts)", 1, Defaults.Bins),
            (o, v) => o with { Bins = v });
        _bound.Add(CheckedOptions.Int("--batch-size",
            "images per batch of explanations and metric forwards", 1, Defaults.BatchSize),
            (o, v) => o with { BatchSize = v });
        var road = _bound.Add(new Option<bool>("--road") { Description = "also ROAD (most/least relevant first, noisy linear imputation " +
            "at 20/40/60/80%): about 1.7 s per image and method on 2 cores, so off by default" },
            (o, v) => o with { Road = v });
        _bound.Group("Preprocessing (default: the model's own)");
        ImageOptions.Declare(_bound, o => o.Image, (o, v) => o with { Image = v });
        _bound.Group("Runtime");
        _bound.Add(CheckedOptions.Device(),
            (o, v) => o with { Device = v });
        _bound.Add(CheckedOptions.OptionalInt("--threads", "CPU threads for torch", 1),
            (o, v) => o with { Threads = v });
        _bound.Group("Shards and output");
        var shard = _bound.Add(CheckedOptions.Shard("evaluate only shard i of n of the images (positions " +
            "k % n == i; auto as for explain) and write evaluation.shard-i-of-n.json into --out; decomcam merge --evaluation DIR... " +
            "writes the results of all shards, exactly as one run would"),
            (o, v) => o with { Shard = v });
        var shardBy = _bound.Add(CheckedOptions.ShardBy("with --images: "),
            (o, v) => o with { Shard = o.Shard is { } shard ? shard with { By = v ?? ShardBy.Position } : null });
        _bound.Add(new Option<string>("--out", "-o") { HelpName = "DIR", DefaultValueFactory = _ => Defaults.Out,
            Description = "where results.md, rows.csv and the charts go" },
            (o, v) => o with { Out = v });
        var report = _bound.Add(new Option<bool>("--report") { Description = "also write report.html into --out, a page with the tables and " +
            "the charts (as decomcam report DIR does)" },
            (o, v) => o with { Report = v });

        methods.CompletionSources.Add(CamMethods.Names.ToArray());
        _checks = r =>
        {
            if (r.GetValue(task) == "detect" && r.GetValue(images) is not null)
                r.AddError("--task detect evaluates on generated scenes (their true boxes and masks); leave out --images.");
            if (r.GetValue(task) != "detect" && (r.GetResult(confidence) is { Implicit: false } || r.GetResult(maxDetections) is { Implicit: false }))
                r.AddError("--confidence and --max-detections go with --task detect.");
            if (r.GetValue(task) == "detect" && r.GetResult(shard) is not null) r.AddError("--task detect has no shards; leave out --shard.");
            if (r.GetValue(masks) is not null && r.GetValue(images) is null) r.AddError("--masks goes with --images.");
            if (r.GetResult(shardBy) is { Implicit: false } && r.GetResult(shard) is null) r.AddError("--shard-by goes with --shard i/n.");
            if (r.GetValue(report) && r.GetResult(shard) is not null)
                r.AddError("--report shows a whole evaluation: after decomcam merge --evaluation DIR..., run decomcam report DIR.");
            if (r.GetValue(shardBy) == ShardBy.ContentHash && r.GetValue(images) is null)
                r.AddError("--shard-by hash goes with --images: generated scenes have no files to hash.");
        };
    }

    /// <summary>The <c>evaluate</c> command.</summary>
    public static Command Create(CliCommandLine globals) => new EvaluateCommandLine(globals).AddTo(new Command("evaluate", Description));

    private Command AddTo(Command command)
    {
        _bound.AddTo(command);
        command.Validators.Add(r => _checks(r));
        command.SetAction(p =>
        {
            NativeHeap.KeepFreedMemory();
            OpenMpThreads.UsePassiveWaits();
            return new EvaluateCommand(_bound.Bind(p, Defaults) with { Verbosity = _globals.Verbosity(p) }, p.InvocationConfiguration.Output, p.InvocationConfiguration.Error).Run();
        });
        return command;
    }

    private static string[] ParseMethods(ArgumentResult r)
    {
        var methods = r.Tokens[0].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(m => m.ToLowerInvariant()).ToArray();
        var unknown = methods.Where(m => !CamMethods.Names.Contains(m)).ToArray();
        if (methods.Length == 0 || unknown.Length > 0)
            r.AddError($"Unknown method(s) '{string.Join(",", unknown)}' for --methods. Valid: {string.Join(", ", CamMethods.Names)}.");
        return methods;
    }
}
