using System.CommandLine;
using System.CommandLine.Parsing;
using DecomCamNet.Clip;
using DecomCamNet.Imaging;
using DecomCamNet.Models;

namespace DecomCamNet.Cli;

/// <summary>
/// <c>decomcam explain</c>: its options (on the root command as well, so that a bare <c>decomcam</c> explains), the checks
/// that combine them, and the action that binds them to <see cref="CliOptions"/> and runs <see cref="ExplainCommand"/>.
/// </summary>
internal sealed class ExplainCommandLine
{
    public const string Description = "Explain an image (or a .npy batch) with a CAM method and write maps and overlays " +
        "(default: the bundled sample image with the bundled SceneNet demo model).";

    private static readonly CliOptions Defaults = new();

    private readonly Option<bool> _verbose;

    // Input and model
    private readonly Option<string?> _input = new("--input", "-i") { HelpName = "PATH",
        Description = "PNG/JPEG image, or a float32 .npy tensor [N,C,H,W] used exactly as given (default: the bundled sample); " +
        "or an image set (with --out): a folder (searched recursively), a glob (dir/*.png) or a .txt list of paths" };
    private readonly Option<string?> _model = CheckedOptions.Named("--model",
        "scenenet (bundled, default), shapesnet (tiny, untrained), resnet18|34|50|101|152, vgg11|13|16|19[_bn], clip-rn50|clip-rn101|clip-rn50x4|clip-vit-b32|" +
        "clip-vit-b16 (OpenAI-layout state dict), clip (any OpenAI-layout CLIP checkpoint, architecture inferred from --weights), " +
        "or an ONNX file (PATH.onnx: the file holds the weights; layers are node or tensor names, see --list-layers)",
        ModelZoo.Names.Append(ClipSetup.AnyClip).Concat(ClipZoo.Names), keepCase: OnnxSetup.IsOnnx);
    private readonly Option<bool> _listLayers = new("--list-layers") {
        Description = "print the explainable layers (feature maps) of the model with their output shapes for the input, then stop" };
    private readonly Option<float[]?> _mean = CheckedOptions.Channels("--mean", "per-channel (R,G,B) means for normalisation (default: ImageNet's; CLIP: CLIP's)");
    private readonly Option<float[]?> _std = CheckedOptions.Channels("--std", "per-channel (R,G,B) standard deviations (default: ImageNet's; CLIP: CLIP's)");
    private readonly Option<double> _pixelScale = CheckedOptions.Number("--pixel-scale", "the value of a full-intensity pixel before " +
        "--mean/--std: 1 (pixels in [0,1], torchvision) or 255 (raw 0..255 values, Caffe-style and ML.NET models; --mean and --std then default to 0 and 1)",
        1e-3, 1e6, 1);
    private readonly Option<string?> _preprocessOnnx = new("--preprocess-onnx") { HelpName = "PATH",
        Description = "an ONNX graph run on each normalised image before the model, whose output is the model's input " +
        "(e.g. ML.NET's ResNetPreprocess.onnx: RGB to BGR minus a mean image); the maps explain the model on that input" };
    private readonly Option<string?> _weights = new("--weights") { HelpName = "PATH",
        Description = ".safetensors or PyTorch .pth state dict (zoo models need one; nothing is downloaded)" };
    private readonly Option<bool> _randomWeights = new("--random-weights") {
        Description = "use the model's random initialisation instead of --weights (for speed tests only)" };
    private readonly Option<int?> _numClasses = CheckedOptions.OptionalInt("--num-classes", "classifier outputs (default 1000; scenenet 8, shapesnet 4)", 1);
    private readonly Option<string?> _labels = new("--labels") { HelpName = "PATH",
        Description = "class names, one per line (default: bundled names for scenenet)" };
    private readonly Option<int?> _resize = CheckedOptions.OptionalInt("--resize",
        "resize the shorter image side to N (default 256 for zoo models, none for scenenet; CLIP models: the model's resolution, bicubic)", 1);
    private readonly Option<int?> _crop = CheckedOptions.OptionalInt("--crop",
        "centre crop N x N (default 224 for zoo models, none for scenenet; CLIP models: the model's resolution)", 1);
    private readonly Option<bool> _noResize = new("--no-resize") { Description = "use the image at its own size (overrides the defaults)" };
    private readonly Option<string> _device = new("--device") { HelpName = "D", DefaultValueFactory = _ => Defaults.Device,
        Description = "cpu, cuda, cuda:1, ..." };
    private readonly Option<int?> _threads = CheckedOptions.OptionalInt("--threads", "CPU threads for torch (default: torch's choice)", 1);
    private readonly Option<bool> _plainHeap = new("--plain-heap") { Description = "leave glibc's heap settings alone " +
        "(by default freed memory is kept for the next forward: NativeHeap.KeepFreedMemory)" };
    private readonly Option<bool> _spinThreads = new("--spin-threads") { Description = "let torch's OpenMP threads spin while waiting " +
        "(default: passive waits, OpenMpThreads): 5-10% faster on an idle machine, about 2x slower when other processes compete" };
    private readonly Option<bool> _hugePages = new("--huge-pages") { Description = "let libtorch use transparent huge pages " +
        "(NativeHeap.UseHugePages): faster batches over 32 MiB on some idle machines, much slower under CPU contention" };

    // Method
    private readonly Option<string> _method = new("--method") { HelpName = "NAME", DefaultValueFactory = _ => Defaults.Method,
        Description = string.Join(", ", CamMethods.Names), CustomParser = ParseMethod };
    private readonly Option<string?> _layer = new("--layer") { HelpName = "NAME", Description = "dotted target layer name (default: " +
        "layer4 for ResNets, the last ReLU of VGG features, block4 for scenenet, block3 for shapesnet); several comma-separated layers are averaged" };
    private readonly Option<int[]> _targets = CheckedOptions.IntList("--target", "class to explain: one for all images, or one per " +
        "image (default: each image's top class); with prompts, the prompt's index (default: each image's zero-shot choice)", 0, "-t");

    private readonly Option<TargetScore?> _score = CheckedOptions.Choice("--score", "what a class target scores: the logit, the " +
        "softmax probability (ClassifierOutputSoftmaxTarget) or the sigmoid probability (multi-label models)", TargetScore.Logit,
        ("logit", TargetScore.Logit), ("softmax", TargetScore.Softmax), ("sigmoid", TargetScore.Sigmoid));
    private readonly Option<bool> _sumTargets = new("--sum-targets") { Description = "one map for the sum of the --target classes' scores" };
    private readonly Option<string?> _similarTo = new("--similar-to") { HelpName = "IMAGE", Description = "explain the cosine " +
        "similarity of each image's model output (an embedding) to this image's: which pixels make the two match (SimilarityToConceptTarget)" };
    private readonly Option<int?> _segmentClass = CheckedOptions.OptionalInt("--segment-class", "for segmentation outputs [N,K,H,W]: " +
        "explain class K's logits summed over --segment-mask, or over the pixels predicted as K (SemanticSegmentationTarget)", 0);
    private readonly Option<string?> _segmentMask = new("--segment-mask") { HelpName = "PNG", Description = "with --segment-class: " +
        "a mask PNG of the output's size (non-zero = counted)" };

    // CLIP
    private readonly Option<string[]> _prompts = new("--prompt") { HelpName = "TEXT",
        Description = "a text prompt to explain (repeatable); prints each prompt's similarity and the zero-shot choice" };
    private readonly Option<string?> _promptsFile = new("--prompts-file") { HelpName = "PATH", Description = "prompts, one per line" };
    private readonly Option<bool> _allPrompts = new("--all-prompts") { Description = "one map per prompt per image (outputs named after the prompts)" };
    private readonly Option<ClipScore?> _clipScore = CheckedOptions.Choice("--clip-score",
        "cosine, logit (logit_scale x cosine) or official (the official DecomCAM code's un-normalised dot product)", Defaults.ClipScore,
        ("cosine", ClipScore.Cosine), ("logit", ClipScore.Logit), ("official", ClipScore.OfficialDot));
    private readonly Option<ActivationReshape?> _reshape = new("--reshape") { HelpName = "vit|vit-seq-first|swin|none", CustomParser = ParseReshape,
        Description = "how a layer's output becomes a feature map (default: vit-seq-first for clip-vit-*, none otherwise)" };

    // Masked forwards and method settings
    private readonly Option<int?> _batchSize = CheckedOptions.OptionalInt("--batch-size", "masked inputs per forward (default on a CPU: " +
        "as many as keep the largest activation under 31 MiB, e.g. 10 for a 224-px ResNet; on a GPU 32, decomcam Q+1)", 1);
    private readonly Option<MaskedInputLayout?> _layout = CheckedOptions.Choice("--layout",
        "masked-forward memory layout (auto: channels-last on CPUs that report cache sizes)", Defaults.Layout,
        ("auto", MaskedInputLayout.Auto), ("contiguous", MaskedInputLayout.Contiguous), ("channels-last", MaskedInputLayout.ChannelsLast));
    private readonly Option<int> _decomP = CheckedOptions.Int("--decom-p", "DecomCAM: top-P channels by Grad-CAM weight", 1, Defaults.DecomP);
    private readonly Option<int> _decomQ = CheckedOptions.Int("--decom-q", "DecomCAM: number of OSSMs Q", 1, Defaults.DecomQ);
    private readonly Option<DecomIntegration?> _decomMode = CheckedOptions.Choice("--decom-mode", "DecomCAM integration", Defaults.DecomMode,
        ("paper", DecomIntegration.Paper), ("official", DecomIntegration.Official));
    private readonly Option<double> _unionTheta = CheckedOptions.Number("--unioncam-theta", "UnionCAM: AMD gradient percentile", 0, 99.999, Defaults.UnionTheta);
    private readonly Option<string?> _classifier = new("--classifier") { HelpName = "NAME",
        Description = "CAM: the final linear layer whose weights weigh the pooled features (default: found by name)" };
    private readonly Option<int> _seed = CheckedOptions.Int("--seed", "seed of randomcam, smoothgradcam++, sscam and iscam", 0, (int)Defaults.Seed);
    private readonly Option<KpcaKernel?> _kpcaKernel = CheckedOptions.Choice("--kpca-kernel", "KPCA-CAM's kernel", Defaults.KpcaKernel,
        ("sigmoid", KpcaKernel.Sigmoid), ("rbf", KpcaKernel.Rbf), ("poly", KpcaKernel.Poly), ("linear", KpcaKernel.Linear), ("cosine", KpcaKernel.Cosine));
    private readonly Option<double> _femK = CheckedOptions.Number("--fem-k", "FEM: k of the threshold mean + k*std", -1e6, 1e6, Defaults.FemK);
    private readonly Option<int> _finerComparisons = CheckedOptions.Int("--finer-comparisons", "Finer-CAM: number of most similar classes", 1, Defaults.FinerComparisons);
    private readonly Option<double> _finerAlpha = CheckedOptions.Number("--finer-alpha", "Finer-CAM: contrast strength alpha", -1e6, 1e6, Defaults.FinerAlpha);
    private readonly Option<string> _refineBase = new("--refine-base") { HelpName = "NAME", DefaultValueFactory = _ => Defaults.RefineBase,
        Description = "RefineCAM: the method run on each layer (default gradcam++)", CustomParser = ParseMethod };
    private readonly Option<int> _concepts = CheckedOptions.Int("--concepts", "dff: number of concepts K (writes <overlay>_concepts.png)", 1, Defaults.Concepts);
    private readonly Option<int?> _samples = CheckedOptions.OptionalInt("--samples",
        "noisy or scaled copies of smoothgradcam++ (default 4), sscam (35) and iscam (10)", 1);
    private readonly Option<double?> _noiseStd = CheckedOptions.OptionalNumber("--noise-std",
        "Gaussian noise sigma of smoothgradcam++ (default 0.3, on the normalised input) and sscam (2, on the masks)", 0, 1e6);
    private readonly Option<bool> _augSmooth = new("--aug-smooth") { Description = "any method: average the maps of 6 test-time " +
        "augmentations (horizontal flip x input scaled by 0.9, 1, 1.1), flipped back; 6x the time" };
    private readonly Option<bool> _eigenSmooth = new("--eigen-smooth") { Description = "first principal component of the weighted " +
        "activations instead of their sum (not for decomcam, unioncam, fullgrad, guidedbackprop, dff)" };

    // Output
    private readonly Option<string?> _overlay = new("--overlay", "-o") { HelpName = "PATH", Description =
        "overlay PNG (jet over the image; default decomcam-overlay.png; for N>1 images, _<i> is added)" };
    private readonly Option<string?> _heatmap = new("--heatmap") { HelpName = "PATH", Description = "heat-map PNG of the map alone" };
    private readonly Option<double> _alpha = CheckedOptions.Number("--alpha", "overlay opacity", 0, 1, Defaults.Alpha);
    private readonly Option<string?> _saveMap = new("--save-map") { HelpName = "PATH", Description = "final maps as float32 .npy [N,H,W]" };
    private readonly Option<string?> _saveComponents = new("--save-components") { HelpName = "PATH",
        Description = "DecomCAM: OSSMs of the first image as float32 .npy [Q,H,W]; an OSSM grid PNG is written beside the overlay" };
    private readonly Option<string?> _saveMetrics = new("--save-metrics") { HelpName = "PATH", Description = "faithfulness of the maps " +
        "(Average Drop, Increase in Confidence, insertion/deletion AUC; with --mask the pointing games) as JSON {\"rows\": [...]}, also printed" };
    private readonly Option<string?> _mask = new("--mask") { HelpName = "PATH",
        Description = "ground-truth object mask image (non-zero = object) for --save-metrics" };
    private readonly Option<int?> _repeat = CheckedOptions.OptionalInt("--repeat",
        "after one warm-up, explain N more times and print median_seconds=<value>", 1);

    // Image sets
    private readonly Option<string?> _out = new("--out") { HelpName = "DIR", Description = "image set: folder for each image's map " +
        "(.npy), overlay (.png) and the manifest (manifest.jsonl: one JSON row per image, appended as it finishes)" };
    private readonly Option<bool> _resume = new("--resume") { Description = "image set: skip the images already in the manifest (after a kill or a failure)" };
    private readonly Option<Batches.ShardSpec?> _shard = CheckedOptions.Shard("image set: explain only shard i of n of the sorted inputs; " +
        "auto takes i from JOB_COMPLETION_INDEX (Kubernetes Indexed Job) or SLURM_ARRAY_TASK_ID, and a bare auto n from SLURM_ARRAY_TASK_COUNT; " +
        "combine the shards with decomcam merge");
    private readonly Option<Batches.ShardBy?> _shardBy = CheckedOptions.ShardBy("image set: ");
    private readonly Option<int> _imagesPerBatch = CheckedOptions.Int("--images-per-batch",
        "image set: images of one size stacked into one model batch", 1, Defaults.ImagesPerBatch);
    private readonly Option<bool> _noOverlay = new("--no-overlay") { Description = "image set: write the maps and the manifest only" };
    private readonly Option<NpyDtype?> _mapDtype = CheckedOptions.Choice("--map-dtype", "element type of the maps and OSSMs written as " +
        ".npy (--save-map, --save-components, an image set's maps): float16 halves the files (error at most 2.4e-4 on maps in [0,1])",
        NpyDtype.Float32, ("float32", NpyDtype.Float32), ("float16", NpyDtype.Float16));
    private readonly Option<bool> _saveOssms = new("--save-ossms") { Description = "image set, DecomCAM: write each image's OSSMs as NAME_ossm.npy [Q,H,W]" };

    /// <summary>Explain's options, reading the global <c>--verbose</c> from <paramref name="verbose"/>.</summary>
    public ExplainCommandLine(Option<bool> verbose)
    {
        _verbose = verbose;
        _method.CompletionSources.Add(CamMethods.Names.ToArray());
        _device.CompletionSources.Add("cpu", "cuda");
        _reshape.CompletionSources.Add("vit", "vit-seq-first", "swin", "none");
    }

    /// <summary>The <c>explain</c> command; <paramref name="verbose"/> is the root's global <c>--verbose</c>.</summary>
    public static Command Create(Option<bool> verbose) => new ExplainCommandLine(verbose).AddTo(new Command("explain", Description));

    /// <summary>Gives <paramref name="command"/> these options, their checks and the action that explains.</summary>
    public Command AddTo(Command command)
    {
        Option[] options =
        [
            _input, _model, _listLayers, _weights, _randomWeights, _numClasses, _labels, _resize, _crop, _noResize, _mean, _std, _pixelScale, _preprocessOnnx, _device, _threads,
            _plainHeap, _spinThreads, _hugePages,
            _method, _layer, _targets, _score, _sumTargets, _similarTo, _segmentClass, _segmentMask,
            _prompts, _promptsFile, _allPrompts, _clipScore, _reshape,
            _batchSize, _layout, _decomP, _decomQ, _decomMode, _unionTheta, _classifier, _seed, _kpcaKernel,
            _femK, _finerComparisons, _finerAlpha, _refineBase, _concepts,
            _samples, _noiseStd, _augSmooth, _eigenSmooth,
            _overlay, _heatmap, _alpha, _saveMap, _saveComponents, _saveMetrics, _mask, _repeat,
            _out, _resume, _shard, _shardBy, _imagesPerBatch, _noOverlay, _saveOssms, _mapDtype,
        ];
        foreach (var option in options) command.Options.Add(option);
        command.Validators.Add(r =>
        {
            if (r.GetValue(_mask) is not null && r.GetValue(_saveMetrics) is null) r.AddError("--mask goes with --save-metrics.");
            if (r.GetValue(_weights) is not null && r.GetValue(_randomWeights)) r.AddError("Give either --weights or --random-weights, not both.");
            if (r.GetValue(_sumTargets) && r.GetResult(_targets) is null) r.AddError("--sum-targets needs --target with the classes to sum.");
            if (r.GetValue(_segmentMask) is not null && r.GetValue(_segmentClass) is null) r.AddError("--segment-mask goes with --segment-class.");
            int kinds = (r.GetResult(_targets) is null ? 0 : 1) + (r.GetValue(_similarTo) is null ? 0 : 1) + (r.GetValue(_segmentClass) is null ? 0 : 1);
            if (kinds > 1) r.AddError("Give one of --target, --similar-to and --segment-class.");
            if (r.GetResult(_samples) is not null && r.GetValue(_method) is var sampled and not ("smoothgradcam++" or "smoothgradcampp" or "sscam" or "iscam"))
                r.AddError($"--samples goes with smoothgradcam++, sscam or iscam; {sampled} draws no samples.");
            if (r.GetResult(_noiseStd) is not null && r.GetValue(_method) is var noisy and not ("smoothgradcam++" or "smoothgradcampp" or "sscam"))
                r.AddError($"--noise-std goes with smoothgradcam++ or sscam; {noisy} adds no noise.");
            if (r.GetValue(_out) is null && new Option[] { _resume, _shard, _shardBy, _imagesPerBatch, _noOverlay, _saveOssms }.FirstOrDefault(o => r.GetResult(o) is { Implicit: false }) is { } setOnly)
                r.AddError($"{setOnly.Name} goes with an image set (--input DIR|GLOB|LIST.txt --out DIR).");
            if (r.GetResult(_shardBy) is { Implicit: false } && r.GetResult(_shard) is null) r.AddError("--shard-by goes with --shard i/n.");
        });
        command.SetAction(p => Run(Bind(p), p.InvocationConfiguration));
        return command;
    }

    private static int Run(CliOptions options, InvocationConfiguration console)
    {
        if (!options.PlainHeap) NativeHeap.KeepFreedMemory();
        if (!options.SpinThreads) OpenMpThreads.UsePassiveWaits();
        if (options.HugePages) NativeHeap.UseHugePages(); // before any tensor exists (libtorch reads it once)
        return new ExplainCommand(options, console.Output, console.Error).Run();
    }

    private CliOptions Bind(ParseResult p) => new()
    {
        Input = p.GetValue(_input),
        Model = p.GetValue(_model),
        Weights = p.GetValue(_weights),
        RandomWeights = p.GetValue(_randomWeights),
        NumClasses = p.GetValue(_numClasses),
        Labels = p.GetValue(_labels),
        Mean = p.GetResult(_mean) is null ? null : p.GetValue(_mean),
        Std = p.GetResult(_std) is null ? null : p.GetValue(_std),
        PixelScale = (float)p.GetValue(_pixelScale),
        PreprocessOnnx = p.GetValue(_preprocessOnnx),
        ListLayers = p.GetValue(_listLayers),
        Resize = p.GetValue(_resize),
        Crop = p.GetValue(_crop),
        NoResize = p.GetValue(_noResize),
        Device = p.GetRequiredValue(_device),
        Threads = p.GetValue(_threads),
        PlainHeap = p.GetValue(_plainHeap),
        SpinThreads = p.GetValue(_spinThreads),
        HugePages = p.GetValue(_hugePages),
        Method = p.GetRequiredValue(_method),
        Layer = p.GetValue(_layer),
        Targets = p.GetResult(_targets) is null ? null : p.GetValue(_targets),
        Score = p.GetValue(_score) ?? Defaults.Score,
        SumTargets = p.GetValue(_sumTargets),
        SimilarTo = p.GetValue(_similarTo),
        SegmentClass = p.GetValue(_segmentClass),
        SegmentMask = p.GetValue(_segmentMask),
        Prompts = p.GetValue(_prompts) ?? [],
        PromptsFile = p.GetValue(_promptsFile),
        AllPrompts = p.GetValue(_allPrompts),
        ClipScore = p.GetValue(_clipScore) ?? Defaults.ClipScore,
        Reshape = p.GetValue(_reshape),
        BatchSize = p.GetValue(_batchSize),
        Layout = p.GetValue(_layout) ?? Defaults.Layout,
        DecomP = p.GetValue(_decomP),
        DecomQ = p.GetValue(_decomQ),
        DecomMode = p.GetValue(_decomMode) ?? Defaults.DecomMode,
        UnionTheta = p.GetValue(_unionTheta),
        Classifier = p.GetValue(_classifier),
        Seed = p.GetValue(_seed),
        KpcaKernel = p.GetValue(_kpcaKernel) ?? Defaults.KpcaKernel,
        FemK = p.GetValue(_femK),
        FinerComparisons = p.GetValue(_finerComparisons),
        FinerAlpha = p.GetValue(_finerAlpha),
        RefineBase = p.GetRequiredValue(_refineBase),
        Concepts = p.GetValue(_concepts),
        Samples = p.GetValue(_samples),
        NoiseStd = p.GetValue(_noiseStd),
        AugSmooth = p.GetValue(_augSmooth),
        EigenSmooth = p.GetValue(_eigenSmooth),
        Overlay = p.GetValue(_overlay),
        Heatmap = p.GetValue(_heatmap),
        Alpha = (float)p.GetValue(_alpha),
        SaveMap = p.GetValue(_saveMap),
        SaveComponents = p.GetValue(_saveComponents),
        SaveMetrics = p.GetValue(_saveMetrics),
        Mask = p.GetValue(_mask),
        Repeat = p.GetValue(_repeat) ?? Defaults.Repeat,
        Verbose = p.GetValue(_verbose),
        Out = p.GetValue(_out),
        Resume = p.GetValue(_resume),
        Shard = p.GetValue(_shard) is { } shard ? shard with { By = p.GetValue(_shardBy) ?? Batches.ShardBy.Position } : null,
        ImagesPerBatch = p.GetValue(_imagesPerBatch),
        NoOverlay = p.GetValue(_noOverlay),
        SaveOssms = p.GetValue(_saveOssms),
        MapDtype = p.GetValue(_mapDtype) ?? NpyDtype.Float32,
    };

    private static string ParseMethod(ArgumentResult r)
    {
        string method = r.Tokens[0].Value.ToLowerInvariant();
        if (!CamMethods.Names.Contains(method) && method is not ("gradcampp" or "smoothgradcampp"))
            r.AddError($"Unknown method '{method}'. Valid methods: {string.Join(", ", CamMethods.Names)}.");
        return method;
    }

    private static ActivationReshape? ParseReshape(ArgumentResult r)
    {
        try { return ActivationReshape.Parse(r.Tokens[0].Value); }
        catch (ArgumentException e)
        {
            r.AddError($"Option --reshape: {e.Message}");
            return null;
        }
    }
}
