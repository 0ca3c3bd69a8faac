using System.CommandLine;
using System.CommandLine.Parsing;
using DecomCamNet.Batches;
using DecomCamNet.Clip;
using DecomCamNet.Clip.Models;
using DecomCamNet.Detection;
using DecomCamNet.Imaging;
using DecomCamNet.Models;
using DecomCamNet.Native;

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

    private readonly CliCommandLine _globals;
    private readonly BoundOptions<CliOptions> _bound = new();
    private readonly Action<CommandResult> _checks;

    /// <summary>Explain's options, reading the global <c>--verbose</c> and <c>--quiet</c> from <paramref name="globals"/>.</summary>
    public ExplainCommandLine(CliCommandLine globals)
    {
        _globals = globals;

        _bound.Group("Input and model");
        var input = _bound.Add(new Option<string?>("--input", "-i") { HelpName = "PATH",
            Description = "PNG/JPEG image, or a float32 .npy tensor [N,C,H,W] used exactly as given (default: the bundled sample); " +
            "or an image set (with --out): a folder (searched recursively), a glob (dir/*.png) or a .txt list of paths" },
            (o, v) => o with { Input = v });
        var model = _bound.Add(CheckedOptions.Named("--model",
            "scenenet (bundled, default), scenevit (bundled ViT), shapesnet (tiny, untrained), resnet18|34|50|101|152, vgg11|13|16|19[_bn], clip-rn50|clip-rn101|clip-rn50x4|clip-vit-b32|" +
            "clip-vit-b16 (OpenAI-layout state dict), clip (any OpenAI-layout CLIP checkpoint, architecture inferred from --weights), " +
            "or an ONNX file (PATH.onnx: the file holds the weights; layers are node or tensor names, see --list-layers)",
            ModelZoo.Names.Append(ClipSetup.AnyClip).Concat(ClipZoo.Names), keepCase: OnnxSetup.IsOnnx),
            (o, v) => o with { Model = v });
        _bound.Add(new Option<bool>("--list-layers") {
            Description = "print the explainable layers (feature maps) of the model with their output shapes for the input, then stop" },
            (o, v) => o with { ListLayers = v });
        var weights = _bound.Add(new Option<string?>("--weights") { HelpName = "PATH",
            Description = ".safetensors or PyTorch .pth state dict (zoo models need one; nothing is downloaded)" },
            (o, v) => o with { Weights = v });
        var randomWeights = _bound.Add(new Option<bool>("--random-weights") {
            Description = "use the model's random initialisation instead of --weights (for speed tests only)" },
            (o, v) => o with { RandomWeights = v });
        _bound.Add(CheckedOptions.OptionalInt("--num-classes", "classifier outputs (default 1000; scenenet and scenevit 8, shapesnet 4)", 1),
            (o, v) => o with { NumClasses = v });
        var labels = _bound.Add(new Option<string?>("--labels") { HelpName = "PATH",
            Description = "class names, one per line (default: bundled names for scenenet and scenevit)" },
            (o, v) => o with { Labels = v });
        _bound.Group("Preprocessing (default: the model's own)");
        ImageOptions.Declare(_bound, o => o.Image, (o, v) => o with { Image = v });
        _bound.Group("Runtime");
        _bound.Add(CheckedOptions.Device(),
            (o, v) => o with { Device = v });
        var threads = _bound.Add(CheckedOptions.OptionalInt("--threads", "CPU threads for torch (default: torch's choice)", 1),
            (o, v) => o with { Threads = v });
        _bound.Add(new Option<bool>("--plain-heap") { Description = "leave glibc's heap settings alone " +
            "(by default freed memory is kept for the next forward: NativeHeap.KeepFreedMemory)" },
            (o, v) => o with { PlainHeap = v });
        _bound.Add(new Option<bool>("--spin-threads") { Description = "let torch's OpenMP threads spin while waiting " +
            "(default: passive waits, OpenMpThreads): 5-10% faster on an idle machine, about 2x slower when other processes compete" },
            (o, v) => o with { SpinThreads = v });
        _bound.Add(new Option<bool>("--huge-pages") { Description = "let libtorch use transparent huge pages " +
            "(NativeHeap.UseHugePages): faster batches over 32 MiB on some idle machines, much slower under CPU contention" },
            (o, v) => o with { HugePages = v });

        _bound.Group("Method and target");
        var method = _bound.Add(new Option<string>("--method") { HelpName = "NAME", DefaultValueFactory = _ => Defaults.Method,
            Description = string.Join(", ", CamMethods.Names), CustomParser = ParseMethod },
            (o, v) => o with { Method = v });
        var layer = _bound.Add(new Option<string?>("--layer") { HelpName = "NAME", Description = "dotted target layer name (default: " +
            "layer4 for ResNets, the last ReLU of VGG features, block4 for scenenet, the last block's ln_1 for the ViTs, block3 for shapesnet); several comma-separated layers are averaged" },
            (o, v) => o with { Layer = v });
        var targets = _bound.Add(CheckedOptions.IntList("--target", "class to explain: one for all images, or one per " +
            "image (default: each image's top class); with prompts, the prompt's index (default: each image's zero-shot choice)", 0, "-t"),
            (o, v) => o with { Targets = v });

        var score = _bound.Add(CheckedOptions.Choice("--score", "what a class target scores: the logit, the " +
            "softmax probability (ClassifierOutputSoftmaxTarget) or the sigmoid probability (multi-label models)", TargetScore.Logit,
            ("logit", TargetScore.Logit), ("softmax", TargetScore.Softmax), ("sigmoid", TargetScore.Sigmoid)),
            (o, v) => o with { Score = v ?? o.Score });
        var sumTargets = _bound.Add(new Option<bool>("--sum-targets") { Description = "one map for the sum of the --target classes' scores" },
            (o, v) => o with { SumTargets = v });
        var similarTo = _bound.Add(new Option<string?>("--similar-to") { HelpName = "IMAGE", Description = "explain the cosine " +
            "similarity of each image's model output (an embedding) to this image's: which pixels make the two match (SimilarityToConceptTarget)" },
            (o, v) => o with { SimilarTo = v });
        var segmentClass = _bound.Add(CheckedOptions.OptionalInt("--segment-class", "for segmentation outputs [N,K,H,W]: " +
            "explain class K's logits summed over --segment-mask, or over the pixels predicted as K (SemanticSegmentationTarget)", 0),
            (o, v) => o with { SegmentClass = v });
        var segmentMask = _bound.Add(new Option<string?>("--segment-mask") { HelpName = "PNG", Description = "with --segment-class: " +
            "a mask PNG of the output's size (non-zero = counted)" },
            (o, v) => o with { SegmentMask = v });

        _bound.Group("Detectors (YOLO-style outputs)");
        var detector = _bound.Add(CheckedOptions.Choice("--detector", "the model is a detector with this output layout: yolov8 [N,4+K,A] " +
            "or yolov5 [N,A,5+K] (scenedet: yolov8); explains each detection (FasterRCNNBoxScoreTarget)", DetectionLayout.YoloV8,
            ("yolov8", DetectionLayout.YoloV8), ("yolov5", DetectionLayout.YoloV5)),
            (o, v) => o with { Detector = v });
        var boxes = _bound.Add(new Option<string[]>("--box") { HelpName = "X1,Y1,X2,Y2[:CLASS]", Description = "a box to explain " +
            "(input pixels, repeatable) instead of the model's detections; CLASS is an index or a label (default: the class of " +
            "the prediction that overlaps the box most)" },
            (o, v) => o with { Boxes = v ?? [] });
        var maxDetections = _bound.Add(CheckedOptions.Int("--max-detections", "detections explained per image, highest scores first", 1, Defaults.MaxDetections),
            (o, v) => o with { MaxDetections = v });
        var confidence = _bound.Add(CheckedOptions.Number("--confidence", "a detection's class score must be above this", 0, 1, Defaults.Confidence),
            (o, v) => o with { Confidence = (float)v });

        _bound.Group("CLIP and transformers");
        var prompts = _bound.Add(new Option<string[]>("--prompt") { HelpName = "TEXT",
            Description = "a text prompt to explain (repeatable); prints each prompt's similarity and the zero-shot choice" },
            (o, v) => o with { Prompts = v ?? [] });
        _bound.Add(new Option<string?>("--prompts-file") { HelpName = "PATH", Description = "prompts, one per line" },
            (o, v) => o with { PromptsFile = v });
        _bound.Add(new Option<bool>("--all-prompts") { Description = "one map per prompt per image (outputs named after the prompts)" },
            (o, v) => o with { AllPrompts = v });
        _bound.Add(CheckedOptions.Choice("--clip-score",
            "cosine, logit (logit_scale x cosine) or official (the official DecomCAM code's un-normalised dot product)", Defaults.ClipScore,
            ("cosine", ClipScore.Cosine), ("logit", ClipScore.Logit), ("official", ClipScore.OfficialDot)),
            (o, v) => o with { ClipScore = v ?? o.ClipScore });
        var reshape = _bound.Add(new Option<ActivationReshape?>("--reshape") { HelpName = "vit|vit-seq-first|swin|none", CustomParser = ParseReshape,
            Description = "how a layer's output becomes a feature map (default: vit-seq-first for clip-vit-*, none otherwise)" },
            (o, v) => o with { Reshape = v });

        _bound.Group("ONNX");
        _bound.Add(new Option<string?>("--preprocess-onnx") { HelpName = "PATH",
            Description = "an ONNX graph run on each normalised image before the model, whose output is the model's input " +
            "(e.g. ML.NET's ResNetPreprocess.onnx: RGB to BGR minus a mean image); the maps explain the model on that input" },
            (o, v) => o with { PreprocessOnnx = v });
        _bound.Group("Method settings");
        _bound.Add(CheckedOptions.OptionalInt("--batch-size", "masked inputs per forward (default on a CPU: " +
            "as many as keep the largest activation under 31 MiB, e.g. 10 for a 224-px ResNet; on a GPU 32, decomcam Q+1; " +
            "then tuned on the first call's batches unless --no-tune)", 1),
            (o, v) => o with { Settings = o.Settings with { BatchSize = v } });
        var layout = _bound.Add(CheckedOptions.Choice("--layout",
            "masked-forward memory layout (auto: the faster on the first call's batches, else channels-last on CPUs that report cache sizes)", Defaults.Settings.MaskedLayout,
            ("auto", MaskedInputLayout.Auto), ("contiguous", MaskedInputLayout.Contiguous), ("channels-last", MaskedInputLayout.ChannelsLast)),
            (o, v) => o with { Settings = o.Settings with { MaskedLayout = v ?? o.Settings.MaskedLayout } });
        _bound.Add(new Option<bool>("--no-tune") { Description = "masked forwards: keep the default batch size and layout " +
            "instead of timing a few on the first call's own batches and keeping the fastest (the maps agree to float rounding)" },
            (o, v) => o with { Settings = o.Settings with { TuneMaskedForwards = !v } });
        _bound.Add(CheckedOptions.Int("--decom-p", "DecomCAM: top-P channels by Grad-CAM weight", 1, Defaults.Settings.DecomCam.P),
            (o, v) => o with { Settings = o.Settings with { DecomCam = o.Settings.DecomCam with { P = v } } });
        _bound.Add(CheckedOptions.Int("--decom-q", "DecomCAM: number of OSSMs Q", 1, Defaults.Settings.DecomCam.Q),
            (o, v) => o with { Settings = o.Settings with { DecomCam = o.Settings.DecomCam with { Q = v } } });
        _bound.Add(CheckedOptions.Choice("--decom-mode", "DecomCAM integration", Defaults.Settings.DecomCam.Integration,
            ("paper", DecomIntegration.Paper), ("official", DecomIntegration.Official)),
            (o, v) => o with { Settings = o.Settings with { DecomCam = o.Settings.DecomCam with { Integration = v ?? o.Settings.DecomCam.Integration } } });
        _bound.Add(CheckedOptions.Number("--unioncam-theta", "UnionCAM: AMD gradient percentile", 0, 99.999, Defaults.Settings.UnionCam.Theta),
            (o, v) => o with { Settings = o.Settings with { UnionCam = o.Settings.UnionCam with { Theta = v } } });
        var classifier = _bound.Add(new Option<string?>("--classifier") { HelpName = "NAME",
            Description = "CAM: the final linear layer whose weights weigh the pooled features (default: found by name)" },
            (o, v) => o with { Settings = o.Settings with { Classifier = v } });
        var seed = _bound.Add(CheckedOptions.OptionalInt("--seed", "seed of randomcam, smoothgradcam++ and sscam (default: each method's own)", 0),
            (o, v) => o with { Settings = o.Settings with { Seed = v } });
        _bound.Add(CheckedOptions.Choice("--kpca-kernel", "KPCA-CAM's kernel", Defaults.Settings.KpcaCam.Kernel,
            ("sigmoid", KpcaKernel.Sigmoid), ("rbf", KpcaKernel.Rbf), ("poly", KpcaKernel.Poly), ("linear", KpcaKernel.Linear), ("cosine", KpcaKernel.Cosine)),
            (o, v) => o with { Settings = o.Settings with { KpcaCam = o.Settings.KpcaCam with { Kernel = v ?? o.Settings.KpcaCam.Kernel } } });
        _bound.Add(CheckedOptions.Number("--fem-k", "FEM: k of the threshold mean + k*std", -1e6, 1e6, Defaults.Settings.Fem.K),
            (o, v) => o with { Settings = o.Settings with { Fem = o.Settings.Fem with { K = v } } });
        _bound.Add(CheckedOptions.Int("--finer-comparisons", "Finer-CAM: number of most similar classes", 1, Defaults.Settings.FinerCam.Comparisons),
            (o, v) => o with { Settings = o.Settings with { FinerCam = o.Settings.FinerCam with { Comparisons = v } } });
        _bound.Add(CheckedOptions.Number("--finer-alpha", "Finer-CAM: contrast strength alpha", -1e6, 1e6, Defaults.Settings.FinerCam.Alpha),
            (o, v) => o with { Settings = o.Settings with { FinerCam = o.Settings.FinerCam with { Alpha = v } } });
        _bound.Add(new Option<string>("--refine-base") { HelpName = "NAME", DefaultValueFactory = _ => Defaults.Settings.RefineBase,
            Description = "RefineCAM: the method run on each layer", CustomParser = ParseMethod },
            (o, v) => o with { Settings = o.Settings with { RefineBase = v } });
        var concepts = _bound.Add(CheckedOptions.Int("--concepts", "dff: number of concepts K (writes <overlay>_concepts.png)", 1, Defaults.Settings.Dff.Concepts),
            (o, v) => o with { Settings = o.Settings with { Dff = o.Settings.Dff with { Concepts = v } } });
        var samples = _bound.Add(CheckedOptions.OptionalInt("--samples",
            "noisy or scaled copies of smoothgradcam++ (default 4), sscam (35) and iscam (10)", 1),
            (o, v) => o with { Settings = o.Settings with { Samples = v } });
        var noiseStd = _bound.Add(CheckedOptions.OptionalNumber("--noise-std",
            "Gaussian noise sigma of smoothgradcam++ (default 0.3, on the normalised input) and sscam (2, on the masks)", 0, 1e6),
            (o, v) => o with { Settings = o.Settings with { NoiseStd = v } });
        _bound.Add(CheckedOptions.Choice("--head-fusion", "rollout: how each layer's attention heads are fused", Defaults.Settings.Rollout.HeadFusion,
            ("mean", AttentionHeadFusion.Mean), ("max", AttentionHeadFusion.Max), ("min", AttentionHeadFusion.Min)),
            (o, v) => o with { Settings = o.Settings with { Rollout = o.Settings.Rollout with { HeadFusion = v ?? o.Settings.Rollout.HeadFusion } } });
        _bound.Add(CheckedOptions.Number("--discard-ratio", "rollout, gradrollout: share of each layer's lowest attentions set to zero",
            0, 0.9999, Defaults.Settings.Rollout.DiscardRatio),
            (o, v) => o with { Settings = o.Settings with { Rollout = o.Settings.Rollout with { DiscardRatio = v } } });
        _bound.Add(new Option<bool>("--aug-smooth") { Description = "any method: average the maps of 6 test-time " +
            "augmentations (horizontal flip x input scaled by 0.9, 1, 1.1), flipped back; 6x the time" },
            (o, v) => o with { Settings = o.Settings with { AugSmooth = v } });
        _bound.Add(new Option<bool>("--eigen-smooth") { Description = "first principal component of the weighted " +
            "activations instead of their sum (not for decomcam, unioncam, fullgrad, guidedbackprop, dff)" },
            (o, v) => o with { Settings = o.Settings with { EigenSmooth = v } });

        _bound.Group("Output");
        var overlay = _bound.Add(new Option<string?>("--overlay", "-o") { HelpName = "PATH", Description =
            "overlay PNG (jet over the image, with what was explained, its score and a colour bar in a strip below; " +
            "default <method>-overlay.png, e.g. gradcam-overlay.png; for N>1 images, _<i> is added)" },
            (o, v) => o with { Overlay = v });
        _bound.Add(new Option<bool>("--bare-overlay") { Description = "the overlay alone: no caption strip or colour bar " +
            "(also for an image set's overlays)" },
            (o, v) => o with { BareOverlay = v });
        var heatmap = _bound.Add(new Option<string?>("--heatmap") { HelpName = "PATH", Description = "heat-map PNG of the map alone" },
            (o, v) => o with { Heatmap = v });
        var alpha = _bound.Add(CheckedOptions.Number("--alpha", "overlay opacity", 0, 1, Defaults.Alpha),
            (o, v) => o with { Alpha = (float)v });
        _bound.Add(new Option<string?>("--save-map") { HelpName = "PATH", Description = "final maps as float32 .npy [N,H,W]" },
            (o, v) => o with { SaveMap = v });
        _bound.Add(new Option<string?>("--save-components") { HelpName = "PATH",
            Description = "DecomCAM: OSSMs of the first image as float32 .npy [Q,H,W]; an OSSM grid PNG is written beside the overlay" },
            (o, v) => o with { SaveComponents = v });
        var saveMetrics = _bound.Add(new Option<string?>("--save-metrics") { HelpName = "PATH", Description = "faithfulness of the maps " +
            "(Average Drop, Increase in Confidence, insertion/deletion AUC; with --mask the pointing games) as JSON {\"rows\": [...]}, also printed" },
            (o, v) => o with { SaveMetrics = v });
        var mask = _bound.Add(new Option<string?>("--mask") { HelpName = "PATH",
            Description = "ground-truth object mask image (non-zero = object) for --save-metrics" },
            (o, v) => o with { Mask = v });
        var repeat = _bound.Add(CheckedOptions.OptionalInt("--repeat",
            "after one warm-up, explain N more times and print median_seconds=<value>", 1),
            (o, v) => o with { Repeat = v ?? o.Repeat });

        _bound.Group("Image sets (--input DIR|GLOB|LIST.txt --out DIR)");
        var @out = _bound.Add(new Option<string?>("--out") { HelpName = "DIR", Description = "image set: folder for each image's map " +
            "(.npy), overlay (.png) and the manifest (manifest.jsonl: one JSON row per image, a detector's per box, appended as it finishes)" },
            (o, v) => o with { Out = v });
        var resume = _bound.Add(new Option<bool>("--resume") { Description = "image set: skip the images already in the manifest (after a kill or a failure)" },
            (o, v) => o with { Resume = v });
        var shard = _bound.Add(CheckedOptions.Shard("image set: explain only shard i of n of the sorted inputs; " +
            "auto takes i from JOB_COMPLETION_INDEX (Kubernetes Indexed Job) or SLURM_ARRAY_TASK_ID, and a bare auto n from SLURM_ARRAY_TASK_COUNT; " +
            "combine the shards with decomcam merge"),
            (o, v) => o with { Shard = v });
        var shardBy = _bound.Add(CheckedOptions.ShardBy("image set: "),
            (o, v) => o with { Shard = o.Shard is { } shard ? shard with { By = v ?? ShardBy.Position } : null });
        var imagesPerBatch = _bound.Add(CheckedOptions.Int("--images-per-batch",
            "image set: images of one size stacked into one model batch", 1, Defaults.ImagesPerBatch),
            (o, v) => o with { ImagesPerBatch = v });
        var noOverlay = _bound.Add(new Option<bool>("--no-overlay") { Description = "image set: write the maps and the manifest only" },
            (o, v) => o with { NoOverlay = v });
        _bound.Add(CheckedOptions.Choice("--map-dtype", "element type of the maps and OSSMs written as " +
            ".npy (--save-map, --save-components, an image set's maps): float16 halves the files (error at most 2.4e-4 on maps in [0,1])",
            NpyDtype.Float32, ("float32", NpyDtype.Float32), ("float16", NpyDtype.Float16)),
            (o, v) => o with { MapDtype = v ?? o.MapDtype });
        var saveOssms = _bound.Add(new Option<bool>("--save-ossms") { Description = "image set, DecomCAM: write each image's OSSMs as NAME_ossm.npy [Q,H,W]" },
            (o, v) => o with { SaveOssms = v });
        var report = _bound.Add(new Option<bool>("--report") { Description = "image set: at the end, write DIR/report.html, a page to browse the " +
            "overlays (as decomcam report DIR does)" },
            (o, v) => o with { Report = v });

        method.CompletionSources.Add(CamMethods.Names.ToArray());
        reshape.CompletionSources.Add("vit", "vit-seq-first", "swin", "none");
        _checks = r =>
        {
            if (r.GetValue(mask) is not null && r.GetValue(saveMetrics) is null) r.AddError("--mask goes with --save-metrics.");
            if (r.GetValue(weights) is not null && r.GetValue(randomWeights)) r.AddError("Give either --weights or --random-weights, not both.");
            if (r.GetValue(sumTargets) && r.GetResult(targets) is null) r.AddError("--sum-targets needs --target with the classes to sum.");
            if (r.GetValue(segmentMask) is not null && r.GetValue(segmentClass) is null) r.AddError("--segment-mask goes with --segment-class.");
            int kinds = (r.GetResult(targets) is null ? 0 : 1) + (r.GetValue(similarTo) is null ? 0 : 1) + (r.GetValue(segmentClass) is null ? 0 : 1);
            if (kinds > 1) r.AddError("Give one of --target, --similar-to and --segment-class.");
            if (kinds > 0 && (r.GetResult(detector) is not null || r.GetResult(boxes) is not null))
                r.AddError("--target, --similar-to and --segment-class explain classifiers; a detector's targets are its boxes (--box, or its detections).");
            if (r.GetResult(samples) is not null && r.GetValue(method) is var sampled and not ("smoothgradcam++" or "sscam" or "iscam"))
                r.AddError($"--samples goes with smoothgradcam++, sscam or iscam; {sampled} draws no samples.");
            if (r.GetResult(noiseStd) is not null && r.GetValue(method) is var noisy and not ("smoothgradcam++" or "sscam"))
                r.AddError($"--noise-std goes with smoothgradcam++ or sscam; {noisy} adds no noise.");
            if (r.GetValue(@out) is null && new Option[] { resume, shard, shardBy, imagesPerBatch, noOverlay, saveOssms, report }.FirstOrDefault(o => r.GetResult(o) is { Implicit: false }) is { } setOnly)
                r.AddError($"{setOnly.Name} goes with an image set (--input DIR|GLOB|LIST.txt --out DIR).");
            if (r.GetResult(shardBy) is { Implicit: false } && r.GetResult(shard) is null) r.AddError("--shard-by goes with --shard i/n.");
        };
    }

    /// <summary>The <c>explain</c> command; <paramref name="globals"/> holds the root's global options.</summary>
    public static Command Create(CliCommandLine globals) => new ExplainCommandLine(globals).AddTo(new Command("explain", Description));

    /// <summary>Gives <paramref name="command"/> these options, their checks and the action that explains.</summary>
    public Command AddTo(Command command)
    {
        _bound.AddTo(command);
        command.Validators.Add(r => _checks(r));
        command.SetAction(p => Run(_bound.Bind(p, Defaults) with { Verbosity = _globals.Verbosity(p) }, p.InvocationConfiguration));
        return command;
    }

    private static int Run(CliOptions options, InvocationConfiguration console)
    {
        if (!options.PlainHeap) NativeHeap.KeepFreedMemory();
        if (!options.SpinThreads) OpenMpThreads.UsePassiveWaits();
        if (options.HugePages) NativeHeap.UseHugePages(); // before any tensor exists (libtorch reads it once)
        return new ExplainCommand(options, console.Output, console.Error).Run();
    }

    private static string ParseMethod(ArgumentResult r)
    {
        string given = r.Tokens[0].Value;
        string? method = CamMethods.Canonical(given);
        if (method is null) r.AddError($"Unknown method '{given.ToLowerInvariant()}'. Valid methods: {string.Join(", ", CamMethods.Names)}.");
        return method ?? given;
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
