using System.Diagnostics;
using System.Globalization;
using DecomCamNet.Batches;
using DecomCamNet.Cam;
using DecomCamNet.Imaging;
using DecomCamNet.Models;
using DecomCamNet.Native;
using Microsoft.Extensions.Logging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet.Cli;

/// <summary><c>decomcam explain</c>: loads the model and input, runs the method, prints the targets and writes the outputs.</summary>
internal sealed class ExplainCommand(CliOptions options, TextWriter stdout, TextWriter stderr)
{
    public int Run()
    {
        if (options.Input is { } given && !File.Exists(given) && !ImageSetInput.IsSet(given))
            throw new CliException($"Input '{given}' does not exist.");
        if (options.Threads is int threads) set_num_threads(threads);
        var device = ParseDevice(options.Device);
        string modelName = options.Model ?? BundledAssets.DemoModel;

        using var scope = NewDisposeScope();
        bool isClip = ClipSetup.IsClip(modelName);
        if (!isClip && (options.Prompts.Length > 0 || options.PromptsFile is not null || options.AllPrompts))
            throw new CliException($"--prompt, --prompts-file and --all-prompts need a CLIP model (--model clip-rn50, ...); {modelName} is a classifier.");
        using var clip = isClip ? ClipSetup.Create(options, modelName, device) : null;
        using var onnx = !isClip && OnnxSetup.IsOnnx(modelName) ? OnnxSetup.Load(options, modelName, device) : null;
        var model = OnnxSetup.WithPreprocessing(options,
            clip?.Model ?? onnx ?? ZooModelLoader.Load(modelName, options.Weights, options.RandomWeights, options.NumClasses, device), device);
        using var oneDnnOff = LibTorchBackends.SafeForward(model); // predictions too
        var preprocessing = options.Image.Apply(clip?.Preprocessing ?? (onnx is null
            ? ModelZoo.Preprocessing(modelName)
            : OnnxSetup.Preprocessing(onnx)));
        bool set = options.Input is not null && ImageSetInput.IsSet(options.Input);
        if (set != options.Out is not null)
            throw new CliException(set ? $"'{options.Input}' is an image set (folder, glob or .txt list): give --out DIR for its maps and manifest."
                : "--out goes with an image set: --input DIR, GLOB (dir/*.png) or LIST.txt.");
        ILogger? logger = options.Verbosity.Logger(stderr);
        var settings = options.Settings;
        if (set)
        {
            if (isClip) throw new CliException("Image sets take classifiers and detectors; CLIP models explain one image at a time.");
            var setDetection = DetectionSetup.ForSet(options, model, modelName, onnx is not null, ZooModelLoader.Labels(options.Labels, modelName));
            var setLayers = Layers(null, onnx, modelName, SetProbeShape(onnx, preprocessing));
            using var setMethod = CreateMethod(options.Method, model, setLayers, settings, logger);
            return new ImageSetCommand(options, stdout, stderr).Run(setMethod, modelName, settings, preprocessing, device, setDetection, logger);
        }
        var (input, pictures) = InputImages.Load(options.Input ?? BundledAssets.SampleImage, preprocessing, device);
        if (options.ListLayers) return ListLayers(model, clip, onnx, modelName, input.shape);
        var layers = Layers(clip, onnx, modelName, input.shape);
        var labels = clip?.Prompts.ToArray() ?? ZooModelLoader.Labels(options.Labels, modelName);

        var detection = clip is null ? DetectionSetup.Create(options, model, modelName, onnx is not null, input, labels) : null;
        using var method = CreateMethod(options.Method, model, layers, settings, logger);
        CamTarget? target = detection?.Target ?? clip?.Target(options, input.shape[0]) ?? Target(model, preprocessing, device);
        clip?.Report(input, stdout);
        var progress = options.Verbosity.Progress(stderr);
        var result = method.Explain(input, target, progress);
        progress.Finish();
        if (!options.Verbosity.Quiet && clip is null && onnx is null && detection is null && options.Targets is null && options.SimilarTo is null && options.SegmentClass is null)
            ConfidenceWarning.Write(model, input, modelName, stderr);
        if (options.Repeat > 0) Time(method, model, input, target, progress);

        var targets = detection is not null ? DescribeBoxes(result, detection)
            : Describe(result, labels, clip is not null ? "prompt" : OutputsFeatures(onnx, input.shape) ? "feature" : "class", target?.Description);
        Report(result, targets, ShownLayerNames(result, model, layers));
        WriteOutputs(result, pictures, clip, targets, detection);
        if (options.SaveMetrics is not null) ExplainMetrics.Write(model, input, result, options.SaveMetrics, options.Mask, stdout);
        return 0;
    }

    /// <summary>The target of a classifier (or any model): classes, their sum, a softmax/sigmoid score, a similarity, a segment.</summary>
    private CamTarget? Target(nn.Module<Tensor, Tensor> model, ImagePreprocessing preprocessing, Device device)
    {
        if (options.SimilarTo is not null)
        {
            var (reference, pictures) = InputImages.Load(options.SimilarTo, preprocessing, device);
            foreach (var picture in pictures) picture.Dispose();
            using var noGrad = no_grad();
            return CamTarget.Similarity(model.call(reference[0..1])[0]);
        }
        if (options.SegmentClass is int segment)
            return CamTarget.Segmentation(segment, options.SegmentMask is null ? null : SegmentMask(options.SegmentMask));
        return ClassTargets.Create(options.Targets, options.SumTargets, options.Score);
    }

    private static bool[,] SegmentMask(string path)
    {
        var (flat, width, height) = MaskFile.Read(path);
        var mask = new bool[height, width];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                mask[y, x] = flat[y * width + x];
        return mask;
    }

    /// <summary>The input shape an ONNX model's default layer is found with in set mode: the crop, else the graph's own.</summary>
    private long[]? SetProbeShape(Onnx.OnnxModel? onnx, ImagePreprocessing preprocessing)
    {
        if (onnx is null || options.Layer is not null) return null;
        if (preprocessing.CenterCrop is int crop) return [1, 3, crop, crop];
        if (onnx.FixedImageSize is null)
            throw new CliException("The ONNX model's input size is not fixed and images keep their own sizes: give --layer (see --list-layers on one image) or --crop.");
        return null;
    }

    private List<CamLayer> Layers(ClipSetup? clip, Onnx.OnnxModel? onnx, string modelName, long[]? inputShape)
    {
        // An ONNX layer without --reshape gets one inferred from its output for this input (tokens onto the patch grid,
        // channels-last grids); images of their own sizes through a graph of no fixed size leave feature maps as they are.
        var reshape = options.Reshape ?? clip?.DefaultReshape ?? (onnx is null ? ModelZoo.DefaultReshape(modelName)
            : inputShape is null && onnx.FixedImageSize is null ? ActivationReshape.None : null);
        return (options.Layer ?? clip?.DefaultLayer ?? onnx?.DefaultLayer(inputShape).NodeName ?? ModelZoo.DefaultLayer(modelName)).Split(',')
            .Select(l => ((CamLayer)l.Trim()).WithReshape(reshape ?? onnx!.InferReshape(l.Trim(), inputShape))).ToList();
    }

    internal static Device ParseDevice(string text)
    {
        Device device;
        try { device = new Device(text); }
        catch (Exception e) { throw new CliException($"Unknown device '{text}' ({e.Message}); use cpu, cuda or cuda:N."); }
        if (device.type == TorchSharp.DeviceType.CUDA && !cuda.is_available())
            throw new CliException($"Device '{text}' was asked for but CUDA is not available (this build uses the CPU libtorch package).");
        return device;
    }

    /// <summary>
    /// <c>--list-layers</c>: every feature-map layer with its output shape for this input, the default marked; layers
    /// whose output the reshape in force (<c>--reshape</c>, else the model's) turns into a feature map (transformer
    /// tokens) show the feature map's shape after an arrow, and feature-map layers that need no reshape while another
    /// is in force say so. An ONNX model lists its feature-map and token nodes with the reshape inferred for each.
    /// </summary>
    private int ListLayers(nn.Module<Tensor, Tensor> model, ClipSetup? clip, Onnx.OnnxModel? onnx, string modelName, long[] inputShape)
    {
        if (onnx is not null)
        {
            var layers = onnx.ExplainableLayers(inputShape, withTokens: true);
            var chosen = onnx.DefaultLayer(inputShape);
            foreach (var layer in layers) stdout.WriteLine(layer + (layer.NodeName == chosen.NodeName ? "  (default)" : ""));
            return 0;
        }
        var reshape = options.Reshape ?? clip?.DefaultReshape ?? ModelZoo.DefaultReshape(modelName);
        string? fallback = clip?.DefaultLayer ?? (options.Model is null || ModelZoo.Names.Contains(options.Model) ? ModelZoo.DefaultLayer(modelName) : null);
        foreach (var layer in LayerShapes.Explainable(model, inputShape, reshape))
        {
            string shape = Shape(layer.OutputShape) + (layer.Reshape == ActivationReshape.None ? "" : " -> " + Shape(layer.FeatureMapShape));
            string note = layer.Reshape == reshape ? "" : "  (--reshape none)";
            stdout.WriteLine($"{layer.Name} {shape}{note}" + (layer.Name == fallback ? "  (default)" : ""));
        }
        return 0;
    }

    private static string Shape(long[] shape) => $"[{string.Join(",", shape)}]";

    /// <summary>The most extra warm-up calls <see cref="Time"/> makes while masked forwards still tune across calls.</summary>
    private const int MaxTuningWarmups = 32;

    private void Time(ICamMethod method, object model, Tensor input, CamTarget? target, ProgressBar progress)
    {
        for (int i = 0; i < MaxTuningWarmups && MaskedForwardTuner.Shared.TuningAcrossCalls(model); i++)
            method.Explain(input, target).Dispose(); // calls too small to tune within one tune across calls: time the kept setting
        var seconds = new List<double>();
        for (int i = 0; i < options.Repeat; i++)
        {
            var clock = Stopwatch.StartNew();
            method.Explain(input, target).Dispose();
            seconds.Add(clock.Elapsed.TotalSeconds);
            progress.Report(new CamProgress("timing", i + 1, options.Repeat));
        }
        progress.Finish();
        seconds.Sort();
        double median = seconds.Count % 2 == 1 ? seconds[seconds.Count / 2] : (seconds[seconds.Count / 2 - 1] + seconds[seconds.Count / 2]) / 2;
        stdout.WriteLine(FormattableString.Invariant($"median_seconds={median:F6}"));
    }

    /// <summary>
    /// Whether the model's output is a feature map (an embedding such as an ONNX featurizer's pooled [N,K,1,1], no
    /// classifier): its channels are features, not classes.
    /// </summary>
    private static bool OutputsFeatures(Onnx.OnnxModel? onnx, long[] inputShape) =>
        onnx is not null && onnx.ExplainableLayers(inputShape).Any(l => l.OutputName == onnx.OutputName);

    /// <summary>The layers as the user named them (an ONNX node name rather than its module path), in the result's order.</summary>
    private static IEnumerable<string> ShownLayerNames(CamResult result, nn.Module model, IReadOnlyList<CamLayer> layers)
    {
        var given = new Dictionary<string, string>();
        foreach (var layer in layers)
            if (layer.Name is { } name) given.TryAdd(layer.Resolve(model).Name, name);
        return result.LayerNames.Select(n => given.GetValueOrDefault(n, n));
    }

    /// <summary>What each row explains and its score: <c>class 3 (cat), score 2.1000</c>, <c>feature 273, ...</c>, a prompt.</summary>
    private static string[] Describe(CamResult result, string[]? labels, string kind, string? targetDescription)
    {
        var scores = result.Scores.cpu().data<float>().ToArray();
        var classes = result.Classes?.cpu().data<long>().ToArray();
        return Enumerable.Range(0, scores.Length).Select(row =>
        {
            string what = classes is null ? targetDescription ?? "custom target" : $"{kind} {classes[row]}" +
                (labels is not null && classes[row] < labels.Length ? $" ({labels[classes[row]]})" : "");
            return string.Create(CultureInfo.InvariantCulture, $"{what}, score {scores[row]:F4}");
        }).ToArray();
    }

    private static string[] DescribeBoxes(CamResult result, DetectionSetup detection)
    {
        var scores = result.Scores.cpu().data<float>().ToArray();
        return Enumerable.Range(0, scores.Length).Select(row => detection.Describe(row, scores[row])).ToArray();
    }

    private void Report(CamResult result, string[] targets, IEnumerable<string> layerNames)
    {
        string layers = string.Join("+", layerNames);
        for (int row = 0; row < targets.Length; row++)
            stdout.WriteLine($"image {result.ImageIndex[row]}: {result.Method} on {layers} for {targets[row]}");
    }

    private void WriteOutputs(CamResult result, IReadOnlyList<Image<Rgb24>> pictures, ClipSetup? clip, string[] targets, DetectionSetup? detection)
    {
        var maps = result.Maps.cpu();
        long rows = maps.shape[0];
        var classes = result.Classes?.cpu().data<long>().ToArray();
        string Name(string path, int row) => clip is null || classes is null
            ? Numbered(path, row, rows)
            : Numbered(Suffixed(path, clip.Slug((int)classes[row])), (int)result.ImageIndex[row], pictures.Count);
        if (options.SaveMap is not null)
        {
            NpyFile.Write(options.SaveMap, maps, options.MapDtype);
            stdout.WriteLine($"wrote {options.SaveMap} ({DtypeName(options.MapDtype)} [{string.Join(",", maps.shape)}])");
        }
        string overlay = options.Overlay ?? $"{options.Method}-overlay.png";
        for (int row = 0; row < rows; row++)
        {
            var picture = pictures[(int)result.ImageIndex[row]];
            string path = Name(overlay, row);
            string? caption = options.BareOverlay ? null : targets[row];
            if (detection is null) CamImageWriter.SaveOverlay(picture, maps[row], path, options.Alpha, caption);
            else CamImageWriter.SaveBoxOverlay(picture, maps[row], detection.BoxesOf(row), path, options.Alpha, caption);
            stdout.WriteLine($"wrote {path}");
            if (options.Heatmap is not null)
            {
                string heat = Name(options.Heatmap, row);
                CamImageWriter.SaveHeatmap(maps[row], heat);
                stdout.WriteLine($"wrote {heat}");
            }
        }
        if (detection is not null) WriteDetectionGrids(result, maps, pictures, detection, overlay);
        var firstPicture = pictures[(int)result.ImageIndex[0]];
        foreach (var image in result.IntermediateImages)
        {
            if (image.Drawing == IntermediateDrawing.ComponentGrid) WriteComponents(result, image, firstPicture, clip is null ? overlay : Name(overlay, 0));
            else WriteConcepts(result, image, firstPicture, overlay);
        }
    }

    /// <summary>
    /// For each image with two or more explained boxes, one grid next to the overlays (<c>&lt;overlay&gt;_detections.png</c>,
    /// numbered by image for a batch): a panel per box, its map with its own box, captioned with its row and target score.
    /// </summary>
    private void WriteDetectionGrids(CamResult result, Tensor maps, IReadOnlyList<Image<Rgb24>> pictures, DetectionSetup detection, string overlay)
    {
        var scores = result.Scores.cpu().data<float>().ToArray();
        foreach (var rows in Enumerable.Range(0, scores.Length).GroupBy(detection.ImageOf).Where(g => g.Count() > 1))
        {
            string path = Numbered(Suffixed(overlay, "detections"), rows.Key, pictures.Count);
            CamImageWriter.SaveBoxGrid(pictures[rows.Key], rows.Select(r => maps[r]).ToList(), rows.Select(r => (IReadOnlyList<LabeledBox>)[detection.OwnBox(r)]).ToList(),
                path, alpha: options.Alpha, labels: options.BareOverlay ? null : rows.Select(r => detection.PanelCaption(r, scores[r])).ToList());
            stdout.WriteLine($"wrote {path}");
        }
    }

    /// <summary>The first row's concepts in one picture, next to the overlay, and each concept's top class.</summary>
    private void WriteConcepts(CamResult result, IntermediateImage concepts, Image<Rgb24> picture, string overlay)
    {
        string path = Suffixed(overlay, concepts.FileSuffix);
        ConceptImageWriter.Save(picture, result.Intermediate(concepts.Name)[0], path);
        stdout.WriteLine($"wrote {path}");
        if (concepts.ClassScores is null) return;
        var scores = result.Intermediate(concepts.ClassScores);
        for (int k = 0; k < scores.shape[0]; k++)
            stdout.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"concept {k}: top class {scores[k].argmax().item<long>()} (logit {scores[k].max().item<float>():F3})"));
    }

    /// <summary>
    /// The first row's component maps as a grid of overlays next to the overlay, each panel numbered in the order the map
    /// sums them with its weight and singular value (also printed, one line each); with --save-components, as .npy.
    /// </summary>
    private void WriteComponents(CamResult result, IntermediateImage stack, Image<Rgb24> picture, string overlay)
    {
        var components = result.Intermediate(stack.Name)[0].cpu(); // [Q,H,W]
        var normalised = CamKernels.NormalizePerImage(components);
        var labels = ComponentLabels(result, stack, (int)components.shape[0]);
        string grid = Path.Combine(Path.GetDirectoryName(overlay) ?? "", $"{Path.GetFileNameWithoutExtension(overlay)}_{stack.FileSuffix}.png");
        CamImageWriter.SaveGrid(Enumerable.Range(0, (int)normalised.shape[0]).Select(q => normalised[q]).ToList(), grid, picture, alpha: options.Alpha,
            labels: labels?.Select(l => l.Panel).ToList());
        stdout.WriteLine($"wrote {grid}");
        foreach (var (_, line) in labels ?? []) stdout.WriteLine($"{stack.FileSuffix} {line}");
        if (options.SaveComponents is not null)
        {
            NpyFile.Write(options.SaveComponents, components, options.MapDtype);
            stdout.WriteLine($"wrote {options.SaveComponents} ({DtypeName(options.MapDtype)} [{string.Join(",", components.shape)}])");
        }
    }

    /// <summary>Each component's panel label (<c>1: w 0.84 s 12.3</c>) and report line, from the first row's weights and singular values; null without either.</summary>
    private static List<(string Panel, string Line)>? ComponentLabels(CamResult result, IntermediateImage stack, int count)
    {
        if (stack.Weights is null && stack.SingularValues is null) return null;
        float[]? Row(string? name) => name is null ? null : result.Intermediate(name)[0].cpu().to_type(ScalarType.Float32).data<float>().ToArray();
        var (weights, singular) = (Row(stack.Weights), Row(stack.SingularValues));
        return Enumerable.Range(0, count).Select(q =>
        {
            var line = new List<string>();
            if (weights is not null) line.Add(Number($"weight {weights[q]:F4}"));
            if (singular is not null) line.Add(Number($"singular value {singular[q]:F4}"));
            return (IntermediateImage.PanelLabel(q, weights?[q], singular?[q]), $"{q + 1}: {string.Join(", ", line)}");
        }).ToList();
    }

    private static string Number(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static string DtypeName(NpyDtype dtype) => dtype.ToString().ToLowerInvariant();

    private static string Suffixed(string path, string suffix) =>
        Path.Combine(Path.GetDirectoryName(path) ?? "", $"{Path.GetFileNameWithoutExtension(path)}_{suffix}{Path.GetExtension(path)}");

    private static string Numbered(string path, int row, long rows) =>
        rows == 1 ? path : Path.Combine(Path.GetDirectoryName(path) ?? "", $"{Path.GetFileNameWithoutExtension(path)}_{row}{Path.GetExtension(path)}");

    /// <summary>The method; <c>--eigen-smooth</c> on a method it does not apply to is a usage error.</summary>
    private static ICamMethod CreateMethod(string name, torch.nn.Module<torch.Tensor, torch.Tensor> model, IReadOnlyList<CamLayer> layers,
        CamMethodSettings settings, ILogger? logger)
    {
        try { return CamMethods.Create(name, model, layers, settings, logger); }
        catch (NotSupportedException e) { throw new CliException($"--eigen-smooth: {e.Message}"); }
    }
}
