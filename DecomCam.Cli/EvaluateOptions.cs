namespace DecomCamNet.Cli;

/// <summary>The options of <c>decomcam evaluate</c>.</summary>
internal sealed record EvaluateOptions
{
    public string[] Methods { get; init; } = { "gradcam", "gradcam++", "scorecam", "unioncam", "decomcam" };
    public int Count { get; init; } = 100;
    public int Seed { get; init; } = 1;
    public string Out { get; init; } = "decomcam-evaluation";
    public string? Model { get; init; }
    public string? Weights { get; init; }
    public string? Layer { get; init; }
    public string? Images { get; init; }
    public string? Masks { get; init; }
    public int Steps { get; init; } = 50;
    public int Bins { get; init; } = 5;
    public int BatchSize { get; init; } = 16;
    public int? Threads { get; init; }
    public bool Road { get; init; }
    public bool Help { get; init; }

    public const string Usage = """
        decomcam evaluate [options]   Faithfulness of CAM methods: Average Drop / Increase in Confidence, insertion and
                                      deletion AUC, pointing and energy pointing game, ROAD, per confidence bin.

        With no --images it explains generated scenes (DecomCam.Evaluation's SceneGenerator: textured backgrounds, 1-3 of
        8 shape classes, clutter, true object masks) with the bundled ShapesNet demo model; the target is each image's
        predicted class, and the pointing games use the mask of that class's objects when the scene has one.

          --methods LIST        comma-separated (default gradcam,gradcam++,scorecam,unioncam,decomcam; any of --method's names)
          --count N             generated scenes (default 100)
          --seed S              scene seed (default 1)
          --images DIR          PNG/JPEG images to use instead of generated scenes (sorted by name; at most --count)
          --masks DIR           with --images: a mask PNG of the same name per image (non-zero = object) for the pointing games
          --model NAME, --weights PATH, --layer NAME   as for explain (default: the bundled shapesnet)
          --steps N             insertion/deletion steps (default 50)
          --bins N              confidence bins for the per-bin report (default 5, equal counts)
          --batch-size N        images per batch of explanations and metric forwards (default 16)
          --threads N           CPU threads for torch
          --road                also ROAD (most/least relevant first, noisy linear imputation at 20/40/60/80%): about
                                1.7 s per image and method on 2 cores, so off by default
          --out DIR             where results.md, rows.csv and the charts go (default decomcam-evaluation)
        """;

    public static EvaluateOptions Parse(IReadOnlyList<string> args)
    {
        var o = new EvaluateOptions();
        for (int i = 1; i < args.Count; i++)
        {
            string name = args[i];
            string Value()
            {
                if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                    throw new CliException($"Option {name} needs a value.");
                return args[++i];
            }
            o = name switch
            {
                "--methods" => o with { Methods = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(m => m.ToLowerInvariant()).ToArray() },
                "--count" => o with { Count = CliOptions.Int(name, Value(), 1) },
                "--seed" => o with { Seed = CliOptions.Int(name, Value(), 0) },
                "--out" => o with { Out = Value() },
                "--model" => o with { Model = Value().ToLowerInvariant() },
                "--weights" => o with { Weights = Value() },
                "--layer" => o with { Layer = Value() },
                "--images" => o with { Images = Value() },
                "--masks" => o with { Masks = Value() },
                "--steps" => o with { Steps = CliOptions.Int(name, Value(), 2) },
                "--bins" => o with { Bins = CliOptions.Int(name, Value(), 1) },
                "--batch-size" => o with { BatchSize = CliOptions.Int(name, Value(), 1) },
                "--threads" => o with { Threads = CliOptions.Int(name, Value(), 1) },
                "--road" => o with { Road = true },
                "--verbose" => o,
                "--help" or "-h" => o with { Help = true },
                _ => throw new CliException($"Unknown option '{name}' for evaluate; see evaluate --help."),
            };
        }
        var unknown = o.Methods.Where(m => !CamMethods.Names.Contains(m)).ToArray();
        if (o.Methods.Length == 0 || unknown.Length > 0)
            throw new CliException($"Unknown method(s) '{string.Join(",", unknown)}' for --methods. Valid: {string.Join(", ", CamMethods.Names)}.");
        if (o.Masks is not null && o.Images is null) throw new CliException("--masks goes with --images.");
        return o;
    }
}
