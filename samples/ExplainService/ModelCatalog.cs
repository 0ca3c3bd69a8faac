using DecomCamNet.Cam;
using DecomCamNet.Clip;
using DecomCamNet.Clip.Models;
using DecomCamNet.Imaging;
using DecomCamNet.Models;
using DecomCamNet.Onnx;
using static TorchSharp.torch;

namespace DecomCamNet.ExplainService;

/// <summary>
/// The models the service explains, by name: the bundled SceneNet demo always, and ResNet-18, an ONNX file and a CLIP
/// model when <see cref="ExplainServiceOptions"/> names their files. Each is loaded once here, to list its layers and
/// outputs for request checks, and then disposed: the workers load their own instances.
/// </summary>
public sealed class ModelCatalog
{
    /// <summary>The bundled demo model's name.</summary>
    public const string SceneNet = "scenenet";

    private readonly Dictionary<string, ServedModel> _models = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Loads and probes every configured model.</summary>
    /// <exception cref="FileNotFoundException">A configured file (or the bundled demo weights) is missing.</exception>
    public ModelCatalog(ExplainServiceOptions options, ILogger<ModelCatalog> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        string demoWeights = Path.Combine(AppContext.BaseDirectory, "assets", "scenenet.safetensors");
        if (!File.Exists(demoWeights)) throw new FileNotFoundException($"The bundled demo weights '{demoWeights}' are missing.", demoWeights);
        Add(Zoo(SceneNet, demoWeights, ImagePreprocessing.None with { MaxPixels = options.MaxImagePixels }, probeSide: 224), logger);
        if (options.ResNet18Weights is { } resnet)
            Add(Zoo("resnet18", resnet, options.ResNet18Preprocessing with { MaxPixels = options.MaxImagePixels }, options.ResNet18InputSize), logger);
        if (options.OnnxModel is { } onnx) Add(Onnx("onnx", onnx, options.MaxImagePixels), logger);
        if (options.ClipWeights is { } clip) Add(ClipModel("clip", clip, options.MaxImagePixels), logger);
    }

    /// <summary>The served models' names.</summary>
    public IReadOnlyCollection<string> Names => _models.Keys;

    /// <summary>The served models.</summary>
    public IReadOnlyCollection<ServedModel> Models => _models.Values;

    /// <summary>The model <paramref name="name"/> (case-insensitive), or null when it is not served.</summary>
    public ServedModel? Find(string name) => _models.GetValueOrDefault(name);

    private void Add(ServedModel model, ILogger logger)
    {
        _models.Add(model.Name, model);
        logger.LogInformation("Serving {Model}: {Layers} layers (default {Layer}), {Outputs} outputs", model.Name, model.Layers.Count, model.DefaultLayer, model.Outputs);
    }

    private static ServedModel Zoo(string name, string weights, ImagePreprocessing preprocessing, int probeSide)
    {
        nn.Module<Tensor, Tensor> Load()
        {
            var model = ModelZoo.Create(name);
            try
            {
                StateDictLoader.Load(model, weights);
            }
            catch
            {
                model.Dispose();
                throw;
            }
            model.eval();
            return model;
        }
        using var probe = Load();
        var (layers, outputs) = Probe(probe, [1, 3, probeSide, probeSide],
            m => LayerShapes.FeatureMaps(m, [1, 3, probeSide, probeSide]).Select(l => (l.Name, ActivationReshape.None)));
        return new ServedModel(name, Load, preprocessing, ModelZoo.DefaultLayer(name), layers, outputs, IsClip: false);
    }

    private static ServedModel Onnx(string name, string path, long maxPixels)
    {
        nn.Module<Tensor, Tensor> Load()
        {
            var model = OnnxModel.Load(path);
            model.eval();
            return model;
        }
        using var probe = (OnnxModel)Load();
        var preprocessing = probe.FixedImageSize switch
        {
            null => ImagePreprocessing.ImageNet,
            var (h, w) when h == w => ImagePreprocessing.ImageNet with { Resize = h, CenterCrop = h },
            var (h, w) => throw new NotSupportedException($"The ONNX model '{path}' takes {h}x{w} images; the service serves square inputs only."),
        };
        int side = preprocessing.CenterCrop ?? 224;
        long[] shape = [1, 3, side, side];
        // Token layers too, each with its inferred reshape: a ViT's default layer is one.
        var (layers, outputs) = Probe(probe, shape,
            m => ((OnnxModel)m).ExplainableLayers(shape, withTokens: true).Select(l => (l.NodeName, l.Reshape ?? ActivationReshape.None)));
        return new ServedModel(name, Load, preprocessing with { MaxPixels = maxPixels }, probe.DefaultLayer(shape).NodeName, layers, outputs, IsClip: false);
    }

    private static ServedModel ClipModel(string name, string path, long maxPixels)
    {
        nn.Module<Tensor, Tensor> Load()
        {
            var model = ClipWeights.Load(path);
            model.eval();
            return model;
        }
        using var probe = ClipWeights.Load(path);
        var config = probe.Config;
        long[] shape = [1, 3, config.ImageResolution, config.ImageResolution];
        var names = config.IsVit
            ? probe.named_modules().Select(m => m.name).Where(n => n.StartsWith("visual.", StringComparison.Ordinal))
            : LayerShapes.FeatureMaps(probe, shape).Select(l => l.Name);
        var layers = names.Distinct().ToDictionary(n => n, _ => ClipZoo.Reshape(config), StringComparer.Ordinal);
        return new ServedModel(name, Load, ClipPreprocessing.For(config.ImageResolution) with { MaxPixels = maxPixels },
            ClipZoo.DefaultLayer(config), layers, config.EmbedDim, IsClip: true);
    }

    /// <summary>The layers of a loaded instance (kept for start-up only) with their reshapes, and its number of outputs for one image.</summary>
    private static (IReadOnlyDictionary<string, ActivationReshape> Layers, long Outputs) Probe(nn.Module<Tensor, Tensor> model, long[] shape,
        Func<nn.Module<Tensor, Tensor>, IEnumerable<(string Name, ActivationReshape Reshape)>> layers)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var output = model.call(zeros(shape));
        return (layers(model).DistinctBy(l => l.Name).ToDictionary(l => l.Name, l => l.Reshape, StringComparer.Ordinal), output.shape.Length >= 2 ? output.shape[1] : 1);
    }
}
