using TorchSharp;

namespace DecomCamNet.Models;

/// <summary>
/// Creates the built-in architectures by name: torchvision's ResNets and VGGs (with torchvision's state-dict keys, so
/// torchvision checkpoints load with <see cref="StateDictLoader"/>), the tiny <see cref="ShapesNet"/> and the demo <see cref="SceneNet"/>.
/// </summary>
public static class ModelZoo
{
    private static readonly string[] AllNames =
    [
        "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
        "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn",
        "shapesnet", "scenenet",
    ];

    /// <summary>The names <see cref="Create"/> accepts (lower case; matching ignores case).</summary>
    public static IReadOnlyList<string> Names { get; } = Array.AsReadOnly(AllNames);

    /// <summary>
    /// Creates an architecture with freshly initialised (untrained) weights, in evaluation mode.
    /// </summary>
    /// <param name="name">One of <see cref="Names"/>, case-insensitive.</param>
    /// <param name="numClasses">Classifier outputs; null means 1000 for the ImageNet architectures and
    /// <see cref="ShapesNet.DefaultNumClasses"/> for <c>shapesnet</c>, <see cref="SceneNet.DefaultNumClasses"/> for <c>scenenet</c>.</param>
    /// <param name="device">Where to allocate the parameters; null means TorchSharp's default device (the CPU unless
    /// changed). <c>torch.META</c> builds the structure without allocating weights.</param>
    /// <returns>The model; the caller owns it and should dispose it.</returns>
    /// <exception cref="ArgumentException">The name is unknown (the message lists the valid names).</exception>
    public static torch.nn.Module<torch.Tensor, torch.Tensor> Create(
        string name, int? numClasses = null, torch.Device? device = null)
    {
        var key = Normalize(name);
        if (numClasses is < 1)
            throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "Must be positive.");
        long classes = numClasses ?? key switch
        {
            "shapesnet" => ShapesNet.DefaultNumClasses,
            "scenenet" => SceneNet.DefaultNumClasses,
            _ => 1000,
        };
        torch.nn.Module<torch.Tensor, torch.Tensor> model = key switch
        {
            "resnet18" => ResNet.ResNet18(classes, device),
            "resnet34" => ResNet.ResNet34(classes, device),
            "resnet50" => ResNet.ResNet50(classes, device),
            "resnet101" => ResNet.ResNet101(classes, device),
            "resnet152" => ResNet.ResNet152(classes, device),
            "shapesnet" => new ShapesNet(classes, device),
            "scenenet" => new SceneNet(classes, device),
            _ => new VGG(VggDepth(key), key.EndsWith("_bn", StringComparison.Ordinal), classes, device: device),
        };
        model.eval();
        return model;
    }

    /// <summary>
    /// The usual CAM target layer of an architecture, as a dotted module name: <c>layer4</c> for the ResNets,
    /// <c>features.N</c> (N = index of the last ReLU in <c>features</c>, 29 for VGG-16) for the VGGs, <c>block3</c>
    /// for ShapesNet, <c>block4</c> for SceneNet.
    /// </summary>
    /// <param name="name">One of <see cref="Names"/>, case-insensitive.</param>
    /// <exception cref="ArgumentException">The name is unknown (the message lists the valid names).</exception>
    public static string DefaultLayer(string name)
    {
        var key = Normalize(name);
        if (key.StartsWith("resnet", StringComparison.Ordinal))
            return "layer4";
        if (key == "shapesnet")
            return "block3";
        if (key == "scenenet")
            return "block4";
        var index = VGG.LastReluIndex(VggDepth(key), key.EndsWith("_bn", StringComparison.Ordinal));
        return "features." + index.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The preprocessing an architecture was trained with, for images loaded with <see cref="Imaging.ImageLoader"/>: the
    /// ImageNet pipeline (<c>Resize(256)</c>, <c>CenterCrop(224)</c>, ImageNet normalisation) for the ResNets and VGGs;
    /// for the bundled SceneNet, the shorter side resized to its <see cref="SceneNet.TrainingSize"/> (an image of another
    /// size meets features of other scales and is often misclassified), ImageNet normalisation as in its training; for the
    /// untrained ShapesNet, the image as it is.
    /// </summary>
    /// <param name="name">One of <see cref="Names"/>, case-insensitive.</param>
    /// <exception cref="ArgumentException">The name is unknown (the message lists the valid names).</exception>
    public static Imaging.ImagePreprocessing Preprocessing(string name) => Normalize(name) switch
    {
        "scenenet" => new Imaging.ImagePreprocessing { Resize = SceneNet.TrainingSize },
        "shapesnet" => Imaging.ImagePreprocessing.None,
        _ => Imaging.ImagePreprocessing.ImageNet,
    };

    /// <summary>
    /// Whether an architecture's outputs are independent per class (multi-label: a sigmoid reads each logit, as for the
    /// bundled SceneNet) rather than one choice among the classes (a softmax reads them together).
    /// </summary>
    /// <param name="name">One of <see cref="Names"/>, case-insensitive.</param>
    /// <exception cref="ArgumentException">The name is unknown (the message lists the valid names).</exception>
    public static bool IsMultiLabel(string name) => Normalize(name) == "scenenet";

    private static int VggDepth(string key) =>
        int.Parse(key.AsSpan(3, 2), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture);

    private static string Normalize(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var key = name.Trim().ToLowerInvariant();
        if (Array.IndexOf(AllNames, key) < 0)
            throw new ArgumentException(
                $"Unknown model '{name}'. Valid names: {string.Join(", ", AllNames)}.", nameof(name));
        return key;
    }
}
