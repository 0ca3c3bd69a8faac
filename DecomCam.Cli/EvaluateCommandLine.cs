using System.CommandLine;
using System.CommandLine.Parsing;
using DecomCamNet.Models;

namespace DecomCamNet.Cli;

/// <summary>
/// <c>decomcam evaluate</c>: its options, the checks that combine them, and the action that binds them to
/// <see cref="EvaluateOptions"/> and runs <see cref="EvaluateCommand"/>.
/// </summary>
internal sealed class EvaluateCommandLine
{
    public const string Description = "Faithfulness of CAM methods (Average Drop / Increase in Confidence, insertion and deletion " +
        "AUC, pointing and energy pointing games, ROAD; per confidence bin) on generated scenes with true object masks, or on " +
        "--images, each image explained for its predicted class; the model is the bundled SceneNet demo unless --model.";

    private static readonly EvaluateOptions Defaults = new();

    private readonly Option<string[]> _methods = new("--methods") { HelpName = "LIST", Arity = ArgumentArity.ExactlyOne, CustomParser = ParseMethods,
        Description = $"comma-separated, any of --method's names [default: {string.Join(",", Defaults.Methods)}]" };
    private readonly Option<int> _count = CheckedOptions.Int("--count", "generated scenes", 1, Defaults.Count);
    private readonly Option<int> _seed = CheckedOptions.Int("--seed", "scene seed", 0, Defaults.Seed);
    private readonly Option<string?> _images = new("--images") { HelpName = "DIR",
        Description = "PNG/JPEG images to use instead of generated scenes (sorted by name; at most --count)" };
    private readonly Option<string?> _masks = new("--masks") { HelpName = "DIR",
        Description = "with --images: a mask PNG of the same name per image (non-zero = object) for the pointing games" };
    private readonly Option<string?> _model = CheckedOptions.Named("--model", "a zoo model, as for explain (default: the bundled scenenet)", ModelZoo.Names);
    private readonly Option<string?> _weights = new("--weights") { HelpName = "PATH", Description = "its state dict, as for explain" };
    private readonly Option<string?> _layer = new("--layer") { HelpName = "NAME", Description = "target layer, as for explain" };
    private readonly Option<int> _steps = CheckedOptions.Int("--steps", "insertion/deletion steps", 2, Defaults.Steps);
    private readonly Option<int> _bins = CheckedOptions.Int("--bins", "confidence bins for the per-bin report (equal counts)", 1, Defaults.Bins);
    private readonly Option<int> _batchSize = CheckedOptions.Int("--batch-size",
        "images per batch of explanations and metric forwards", 1, Defaults.BatchSize);
    private readonly Option<int?> _threads = CheckedOptions.OptionalInt("--threads", "CPU threads for torch", 1);
    private readonly Option<bool> _road = new("--road") { Description = "also ROAD (most/least relevant first, noisy linear imputation " +
        "at 20/40/60/80%): about 1.7 s per image and method on 2 cores, so off by default" };
    private readonly Option<Batches.ShardSpec?> _shard = CheckedOptions.Shard("evaluate only shard i of n of the images (positions " +
        "k % n == i; auto as for explain) and write evaluation.shard-i-of-n.json into --out; decomcam merge --evaluation DIR... " +
        "writes the results of all shards, exactly as one run would");
    private readonly Option<Batches.ShardBy?> _shardBy = CheckedOptions.ShardBy("with --images: ");
    private readonly Option<string> _out = new("--out", "-o") { HelpName = "DIR", DefaultValueFactory = _ => Defaults.Out,
        Description = "where results.md, rows.csv and the charts go" };

    private EvaluateCommandLine() => _methods.CompletionSources.Add(CamMethods.Names.ToArray());

    /// <summary>The <c>evaluate</c> command.</summary>
    public static Command Create() => new EvaluateCommandLine().AddTo(new Command("evaluate", Description));

    private Command AddTo(Command command)
    {
        Option[] options = [_methods, _count, _seed, _images, _masks, _model, _weights, _layer, _steps, _bins, _batchSize, _threads, _road, _shard, _shardBy, _out];
        foreach (var option in options) command.Options.Add(option);
        command.Validators.Add(r =>
        {
            if (r.GetValue(_masks) is not null && r.GetValue(_images) is null) r.AddError("--masks goes with --images.");
            if (r.GetResult(_shardBy) is { Implicit: false } && r.GetResult(_shard) is null) r.AddError("--shard-by goes with --shard i/n.");
            if (r.GetValue(_shardBy) == Batches.ShardBy.ContentHash && r.GetValue(_images) is null)
                r.AddError("--shard-by hash goes with --images: generated scenes have no files to hash.");
        });
        command.SetAction(p =>
        {
            NativeHeap.KeepFreedMemory();
            OpenMpThreads.UsePassiveWaits();
            return new EvaluateCommand(Bind(p), p.InvocationConfiguration.Output, p.InvocationConfiguration.Error).Run();
        });
        return command;
    }

    private EvaluateOptions Bind(ParseResult p) => new()
    {
        Methods = p.GetResult(_methods) is null ? Defaults.Methods : p.GetRequiredValue(_methods),
        Count = p.GetValue(_count),
        Seed = p.GetValue(_seed),
        Images = p.GetValue(_images),
        Masks = p.GetValue(_masks),
        Model = p.GetValue(_model),
        Weights = p.GetValue(_weights),
        Layer = p.GetValue(_layer),
        Steps = p.GetValue(_steps),
        Bins = p.GetValue(_bins),
        BatchSize = p.GetValue(_batchSize),
        Threads = p.GetValue(_threads),
        Road = p.GetValue(_road),
        Out = p.GetRequiredValue(_out),
        Shard = p.GetValue(_shard) is { } shard ? shard with { By = p.GetValue(_shardBy) ?? Batches.ShardBy.Position } : null,
    };

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
