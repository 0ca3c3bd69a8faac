using DecomCamNet.Imaging;

namespace DecomCamNet.ExplainService;

/// <summary>
/// The service's settings, bound from the configuration section <c>ExplainService</c> (appsettings.json, environment
/// variables such as <c>ExplainService__Workers=4</c>, or command-line arguments such as <c>--ExplainService:Workers=4</c>).
/// The bundled SceneNet demo model is always served; the others are served when their file is given.
/// </summary>
public sealed record ExplainServiceOptions
{
    /// <summary>The configuration section the options are read from.</summary>
    public const string Section = "ExplainService";

    /// <summary>Worker threads, each with its own instance of every model and of every method it has run; default: one per core.</summary>
    public int Workers { get; init; } = Environment.ProcessorCount;

    /// <summary>libtorch threads of each worker; null: the cores shared out among the workers (at least one each).</summary>
    public int? TorchThreadsPerWorker { get; init; }

    /// <summary>Requests that may wait for a worker; one more is answered 503 with <c>Retry-After</c>.</summary>
    public int QueueCapacity { get; init; } = 32;

    /// <summary>The <c>Retry-After</c> seconds of a 503 answer.</summary>
    public int RetryAfterSeconds { get; init; } = 1;

    /// <summary>The largest image accepted, in pixels (width × height), checked from its header before decoding.</summary>
    public long MaxImagePixels { get; init; } = 16_000_000;

    /// <summary>A torchvision-layout ResNet-18 state dict (<c>.safetensors</c> or <c>.pth</c>), served as <c>resnet18</c>; null: not served.</summary>
    public string? ResNet18Weights { get; init; }

    /// <summary>
    /// The side of ResNet-18's square input (the image is resized to 8/7 of it on its shorter side, then centre-cropped):
    /// 224 as for ImageNet. A smaller side makes every method cheaper (the soak uses 64 so that Score-CAM's 512 masked
    /// forwards stay short).
    /// </summary>
    public int ResNet18InputSize { get; init; } = 224;

    /// <summary>An ONNX classifier file (weights inside; a CNN, or a ViT whose token layers are served with their inferred reshape), served as <c>onnx</c> with ImageNet normalisation; null: not served.</summary>
    public string? OnnxModel { get; init; }

    /// <summary>A CLIP state dict in OpenAI's layout, served as <c>clip</c> (prompt targets); null: not served.</summary>
    public string? ClipWeights { get; init; }

    /// <summary>Settings every method is created with (batch sizes, DecomCAM's P and Q, ...).</summary>
    public CamMethodSettings MethodSettings { get; init; } = new();

    /// <summary>Run on a worker thread before each job (tests hold workers with it); null: nothing.</summary>
    internal Action? BeforeJob { get; init; }

    /// <summary>The ResNet-18 preprocessing for <see cref="ResNet18InputSize"/>.</summary>
    internal ImagePreprocessing ResNet18Preprocessing =>
        ImagePreprocessing.ImageNet with { Resize = (int)Math.Round(ResNet18InputSize * 8 / 7.0), CenterCrop = ResNet18InputSize };

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    internal void Validate()
    {
        if (Workers < 1) throw new ArgumentException($"{Section}:Workers must be at least 1, got {Workers}.");
        if (TorchThreadsPerWorker is < 1) throw new ArgumentException($"{Section}:TorchThreadsPerWorker must be at least 1, got {TorchThreadsPerWorker}.");
        if (QueueCapacity < 1) throw new ArgumentException($"{Section}:QueueCapacity must be at least 1, got {QueueCapacity}.");
        if (RetryAfterSeconds < 1) throw new ArgumentException($"{Section}:RetryAfterSeconds must be at least 1, got {RetryAfterSeconds}.");
        if (MaxImagePixels < 1) throw new ArgumentException($"{Section}:MaxImagePixels must be positive, got {MaxImagePixels}.");
        if (ResNet18InputSize < 32) throw new ArgumentException($"{Section}:ResNet18InputSize must be at least 32 (ResNet-18 downsamples by 32), got {ResNet18InputSize}.");
        foreach (var (name, path) in new[] { (nameof(ResNet18Weights), ResNet18Weights), (nameof(OnnxModel), OnnxModel), (nameof(ClipWeights), ClipWeights) })
            if (path is not null && !File.Exists(path)) throw new FileNotFoundException($"{Section}:{name} '{path}' does not exist.", path);
    }
}
