using System.Globalization;

namespace DecomCamNet.Cli;

/// <summary>The options of <c>decomcam explain</c>, parsed from the command line.</summary>
internal sealed record CliOptions
{
    public string? Input { get; init; }
    public string? Model { get; init; }
    public string? Weights { get; init; }
    public bool RandomWeights { get; init; }
    public int? NumClasses { get; init; }
    public string? Layer { get; init; }
    public string Method { get; init; } = "gradcam";
    public int[]? Targets { get; init; }
    public string? SaveMap { get; init; }
    public string? Overlay { get; init; }
    public string? Heatmap { get; init; }
    public string? SaveComponents { get; init; }
    public float Alpha { get; init; } = 0.5f;
    public string Device { get; init; } = "cpu";
    public int? Threads { get; init; }
    public int Repeat { get; init; }
    public int? BatchSize { get; init; }
    public int DecomP { get; init; } = 500;
    public int DecomQ { get; init; } = 10;
    public DecomIntegration DecomMode { get; init; } = DecomIntegration.Paper;
    public double UnionTheta { get; init; } = 10;
    public MaskedInputLayout Layout { get; init; } = MaskedInputLayout.Auto;
    public int? Resize { get; init; }
    public int? Crop { get; init; }
    public bool NoResize { get; init; }
    public string? Labels { get; init; }
    public bool Verbose { get; init; }
    public bool HugePages { get; init; }
    public bool PlainHeap { get; init; }
    public bool SpinThreads { get; init; }
    public bool Help { get; init; }
    public string? SaveMetrics { get; init; }
    public string? Mask { get; init; }
    public string[] Prompts { get; init; } = Array.Empty<string>();
    public string? PromptsFile { get; init; }
    public bool AllPrompts { get; init; }
    public ActivationReshape? Reshape { get; init; }
    public Clip.ClipScore ClipScore { get; init; } = Clip.ClipScore.Cosine;

    public const string Usage = """
        decomcam explain [options]   Explain an image (or a .npy batch) with a CAM method and write maps and overlays.

        With no --model and no --input it explains the bundled sample image with the bundled ShapesNet demo model.

        Input and model:
          --input PATH          PNG/JPEG image, or a float32 .npy tensor [N,C,H,W] used exactly as given (default: bundled sample)
          --model NAME          shapesnet (bundled, default), resnet18|34|50|101|152, vgg11|13|16|19[_bn],
                                clip-rn50|clip-rn101|clip-rn50x4|clip-vit-b32|clip-vit-b16 (OpenAI-layout state dict),
                                clip (any OpenAI-layout CLIP checkpoint, architecture inferred from --weights)
          --weights PATH        .safetensors or PyTorch .pth state dict (zoo models need one; nothing is downloaded)
          --random-weights      use the model's random initialisation instead of --weights (for speed tests only)
          --num-classes N       classifier outputs (default 1000; shapesnet 4)
          --labels PATH         class names, one per line (default: bundled names for shapesnet)
          --resize N            resize the shorter image side to N (default 256 for zoo models, none for shapesnet)
          --crop N              centre crop N x N (default 224 for zoo models, none for shapesnet)
                                (CLIP models: bicubic resize and crop to the model's resolution, CLIP's mean and std)
          --no-resize           use the image at its own size (overrides the defaults)
          --device D            cpu (default), cuda, cuda:1, ...
          --threads N           CPU threads for torch (default: torch's choice)
          --plain-heap          leave glibc's heap settings alone (by default freed memory is kept for the next forward:
                                NativeHeap.KeepFreedMemory)
          --spin-threads        let torch's OpenMP threads spin while waiting (default: passive waits, OpenMpThreads):
                                5-10% faster on an idle machine, about 2x slower when other processes compete
          --huge-pages          let libtorch use transparent huge pages (NativeHeap.UseHugePages): faster batches over
                                32 MiB on some idle machines, much slower under CPU contention; off by default

        Method:
          --method NAME         gradcam (default), gradcam++, xgradcam, layercam, hirescam, eigencam, scorecam, unioncam, decomcam
          --layer NAME          dotted target layer name (default: layer4 for ResNets, the last ReLU of VGG features, block3 for shapesnet);
                                several comma-separated layers are averaged
          --target N[,N...]     class to explain: one for all images, or one per image (default: each image's top class);
                                with prompts, the prompt's index (default: each image's zero-shot choice)

        CLIP:
          --prompt TEXT         a text prompt to explain (repeatable); prints each prompt's similarity and the zero-shot choice
          --prompts-file PATH   prompts, one per line
          --all-prompts         one map per prompt per image (outputs named after the prompts)
          --clip-score S        cosine (default), logit (logit_scale x cosine) or official (the official DecomCAM code's
                                un-normalised dot product)
          --reshape R           how a layer's output becomes a feature map: vit, vit-seq-first, swin or none (default:
                                vit-seq-first for clip-vit-*, none otherwise)
          --batch-size N        masked inputs per forward (default on a CPU: as many as keep the largest activation
                                under 31 MiB, e.g. 10 for a 224-px ResNet; on a GPU 32, decomcam Q+1)
          --layout L            masked-forward memory layout: auto (default: channels-last on CPUs that report cache sizes),
                                contiguous or channels-last
          --decom-p N           DecomCAM: top-P channels by Grad-CAM weight (default 500)
          --decom-q N           DecomCAM: number of OSSMs Q (default 10)
          --decom-mode M        DecomCAM integration: paper (default) or official
          --unioncam-theta T    UnionCAM: AMD gradient percentile (default 10)

        Output:
          --overlay PATH        overlay PNG (jet over the image; default decomcam-overlay.png; for N>1 images, _<i> is added)
          --heatmap PATH        heat-map PNG of the map alone
          --alpha A             overlay opacity in [0,1] (default 0.5)
          --save-map PATH       final maps as float32 .npy [N,H,W]
          --save-components P   DecomCAM: OSSMs of the first image as float32 .npy [Q,H,W]; an OSSM grid PNG is written beside the overlay
          --save-metrics PATH   faithfulness of the maps (Average Drop, Increase in Confidence, insertion/deletion AUC;
                                with --mask the pointing games) as JSON {"rows": [...]}, also printed
          --mask PATH           ground-truth object mask image (non-zero = object) for --save-metrics
          --repeat N            after one warm-up, explain N more times and print median_seconds=<value>
          --verbose             log details and show stack traces on errors
          --help                this text
        """;

    public static CliOptions Parse(IReadOnlyList<string> args)
    {
        var o = new CliOptions();
        int start = args.Count > 0 && args[0] == "explain" ? 1 : 0;
        if (args.Count > 0 && start == 0 && !args[0].StartsWith("--", StringComparison.Ordinal))
            throw new CliException($"Unknown command '{args[0]}'. The commands are 'explain' and 'evaluate'; see --help and evaluate --help.");
        for (int i = start; i < args.Count; i++)
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
                "--input" => o with { Input = Value() },
                "--model" => o with { Model = Value().ToLowerInvariant() },
                "--weights" => o with { Weights = Value() },
                "--random-weights" => o with { RandomWeights = true },
                "--num-classes" => o with { NumClasses = Int(name, Value(), 1) },
                "--labels" => o with { Labels = Value() },
                "--resize" => o with { Resize = Int(name, Value(), 1) },
                "--crop" => o with { Crop = Int(name, Value(), 1) },
                "--no-resize" => o with { NoResize = true },
                "--device" => o with { Device = Value() },
                "--threads" => o with { Threads = Int(name, Value(), 1) },
                "--method" => o with { Method = Value().ToLowerInvariant() },
                "--layer" => o with { Layer = Value() },
                "--target" => o with { Targets = Value().Split(',').Select(t => Int(name, t, 0)).ToArray() },
                "--batch-size" => o with { BatchSize = Int(name, Value(), 1) },
                "--decom-p" => o with { DecomP = Int(name, Value(), 1) },
                "--decom-q" => o with { DecomQ = Int(name, Value(), 1) },
                "--decom-mode" => o with { DecomMode = Mode(Value()) },
                "--unioncam-theta" => o with { UnionTheta = Double(name, Value(), 0, 99.999) },
                "--layout" => o with { Layout = ParseLayout(Value()) },
                "--overlay" => o with { Overlay = Value() },
                "--heatmap" => o with { Heatmap = Value() },
                "--alpha" => o with { Alpha = (float)Double(name, Value(), 0, 1) },
                "--save-map" => o with { SaveMap = Value() },
                "--save-components" => o with { SaveComponents = Value() },
                "--repeat" => o with { Repeat = Int(name, Value(), 1) },
                "--verbose" => o with { Verbose = true },
                "--huge-pages" => o with { HugePages = true },
                "--plain-heap" => o with { PlainHeap = true },
                "--spin-threads" => o with { SpinThreads = true },
                "--prompt" => o with { Prompts = o.Prompts.Append(Value()).ToArray() },
                "--prompts-file" => o with { PromptsFile = Value() },
                "--all-prompts" => o with { AllPrompts = true },
                "--clip-score" => o with { ClipScore = ParseClipScore(Value()) },
                "--reshape" => o with { Reshape = ParseReshape(Value()) },
                "--save-metrics" => o with { SaveMetrics = Value() },
                "--mask" => o with { Mask = Value() },
                "--help" or "-h" => o with { Help = true },
                _ => throw new CliException($"Unknown option '{name}'; see --help."),
            };
        }
        if (o.Mask is not null && o.SaveMetrics is null) throw new CliException("--mask goes with --save-metrics.");
        if (o.Weights is not null && o.RandomWeights) throw new CliException("Give either --weights or --random-weights, not both.");
        if (!CamMethods.Names.Contains(o.Method) && o.Method != "gradcampp")
            throw new CliException($"Unknown method '{o.Method}'. Valid methods: {string.Join(", ", CamMethods.Names)}.");
        return o;
    }

    /// <summary>The integer value <paramref name="text"/> of <paramref name="option"/>, at least <paramref name="min"/>.</summary>
    internal static int Int(string option, string text, int min)
    {
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) || v < min)
            throw new CliException($"Option {option} needs an integer >= {min}; got '{text}'.");
        return v;
    }

    private static double Double(string option, string text, double min, double max)
    {
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || v < min || v > max)
            throw new CliException($"Option {option} needs a number in [{min}, {max}]; got '{text}'.");
        return v;
    }

    private static DecomIntegration Mode(string text) => text.ToLowerInvariant() switch
    {
        "paper" => DecomIntegration.Paper,
        "official" => DecomIntegration.Official,
        _ => throw new CliException($"Option --decom-mode takes 'paper' or 'official'; got '{text}'."),
    };

    private static Clip.ClipScore ParseClipScore(string text) => text.ToLowerInvariant() switch
    {
        "cosine" => Clip.ClipScore.Cosine,
        "logit" => Clip.ClipScore.Logit,
        "official" => Clip.ClipScore.OfficialDot,
        _ => throw new CliException($"Option --clip-score takes 'cosine', 'logit' or 'official'; got '{text}'."),
    };

    private static ActivationReshape ParseReshape(string text)
    {
        try { return ActivationReshape.Parse(text); }
        catch (ArgumentException e) { throw new CliException($"Option --reshape: {e.Message}"); }
    }

    private static MaskedInputLayout ParseLayout(string text) => text.ToLowerInvariant() switch
    {
        "auto" => MaskedInputLayout.Auto,
        "contiguous" => MaskedInputLayout.Contiguous,
        "channels-last" => MaskedInputLayout.ChannelsLast,
        _ => throw new CliException($"Option --layout takes 'auto', 'contiguous' or 'channels-last'; got '{text}'."),
    };
}

/// <summary>A user error on the command line: printed as one line, exit code 2.</summary>
internal sealed class CliException(string message) : Exception(message);
