using TorchSharp;

namespace DecomCamNet.Models;

/// <summary>
/// Creates the built-in architectures by name: torchvision's ResNets, VGGs and vision transformers (<c>vit-b-16</c>,
/// <c>vit-b-32</c>: <see cref="VisionTransformer"/>; <c>swin-t</c>: <see cref="SwinTransformer"/>), with torchvision's
/// state-dict keys, so torchvision checkpoints load with <see cref="StateDictLoader"/>; the tiny <see cref="ShapesNet"/>
/// and the demo models <see cref="SceneNet"/> (<c>scenenet</c>), <c>scenevit</c> (a small
/// <see cref="VisionTransformer"/>, <see cref="VisionTransformerConfig.SceneVit"/>) and <see cref="SceneDet"/> (a detector).
/// </summary>
public static class ModelZoo
{
    private static readonly string[] AllNames =
    [
        "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
        "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn",
        "vit-b-16", "vit-b-32", "swin-t",
        "shapesnet", "scenenet", "scenevit", "scenedet",
    ];

    /// <summary>The names <see cref="Create"/> accepts (lower case; matching ignores case).</summary>
    public static IReadOnlyList<string> Names { get; } = Array.AsReadOnly(AllNames);

    /// <summary>
    /// Creates an architecture with freshly initialised (untrained) weights, in evaluation mode.
    /// </summary>
    /// <param name="name">One of <see cref="Names"/>, case-insensitive.</param>
    /// <param name="numClasses">Classifier outputs; null means 1000 for the ImageNet architectures and
    /// <see cref="ShapesNet.DefaultNumClasses"/> for <c>shapesnet</c>, <see cref="SceneNet.DefaultNumClasses"/> for <c>scenenet</c> and <c>scenevit</c>.</param>
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
            "scenenet" or "scenevit" => SceneNet.DefaultNumClasses,
            "scenedet" => SceneDet.DefaultNumClasses,
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
            "scenedet" => new SceneDet(classes, device),
            "scenevit" => new VisionTransformer(VisionTransformerConfig.SceneVit with { NumClasses = (int)classes }, device),
            "vit-b-16" => new VisionTransformer(VisionTransformerConfig.VitB16 with { NumClasses = (int)classes }, device),
            "vit-b-32" => new VisionTransformer(VisionTransformerConfig.VitB32 with { NumClasses = (int)classes }, device),
            "swin-t" => new SwinTransformer(SwinConfig.SwinT with { NumClasses = (int)classes }, device),
            _ => new VGG(VggDepth(key), key.EndsWith("_bn", StringComparison.Ordinal), classes, device: device),
        };
        model.eval();
        return model;
    }

    /// <summary>
    /// The usual CAM target layer of an architecture, as a dotted module name: <c>layer4</c> for the ResNets,
    /// <c>features.N</c> (N = index of the last ReLU in <c>features</c>, 29 for VGG-16) for the VGGs, <c>block3</c>
    /// for ShapesNet, <c>block4</c> for SceneNet; for the ViTs the last block's first norm
    /// <c>encoder.layers.encoder_layer_11.ln_1</c> (<c>encoder_layer_3</c> for <c>scenevit</c>) (pytorch-grad-cam's recipe: after the last block only the class token
    /// reaches the score), for Swin-T the last stage <c>features.7</c>. Transformer layers need
    /// <see cref="DefaultReshape"/>.
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
        if (key == "scenedet")
            return "block5";
        if (key == "scenevit")
            return $"encoder.layers.encoder_layer_{VisionTransformerConfig.SceneVit.Layers - 1}.ln_1";
        if (key.StartsWith("vit", StringComparison.Ordinal))
            return $"encoder.layers.encoder_layer_{VisionTransformerConfig.VitB16.Layers - 1}.ln_1";
        if (key == "swin-t")
            return SwinConfig.SwinT.LastStage;
        var index = VGG.LastReluIndex(VggDepth(key), key.EndsWith("_bn", StringComparison.Ordinal));
        return "features." + index.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// How the output of an architecture's <see cref="DefaultLayer"/> (and of its other blocks) becomes a feature map:
    /// <see cref="ActivationReshape.Vit"/> for the ViTs (batch-first tokens <c>[N, 1 + 14², 768]</c>, class token dropped),
    /// <see cref="ActivationReshape.Swin"/> for Swin-T (<c>[N, h, w, C]</c>), <see cref="ActivationReshape.None"/> for the CNNs.
    /// </summary>
    /// <param name="name">One of <see cref="Names"/>, case-insensitive.</param>
    /// <exception cref="ArgumentException">The name is unknown (the message lists the valid names).</exception>
    public static ActivationReshape DefaultReshape(string name) => Normalize(name) switch
    {
        "vit-b-16" or "vit-b-32" or "scenevit" => ActivationReshape.Vit,
        "swin-t" => ActivationReshape.Swin,
        _ => ActivationReshape.None,
    };

    /// <summary>
    /// The preprocessing an architecture was trained with, for images loaded with <see cref="Imaging.ImageLoader"/>: the
    /// ImageNet pipeline (<c>Resize(256)</c>, <c>CenterCrop(224)</c>, ImageNet normalisation) for the ResNets, VGGs and
    /// ViTs; for Swin-T, torchvision's weights' <c>Resize(232)</c> bicubic, <c>CenterCrop(224)</c>;
    /// for the bundled SceneNet and scene ViT, the shorter side resized to its <see cref="SceneNet.TrainingSize"/> (an image of another
    /// size meets features of other scales and is often misclassified), ImageNet normalisation as in its training; for the
    /// untrained ShapesNet, the image as it is.
    /// </summary>
    /// <param name="name">One of <see cref="Names"/>, case-insensitive.</param>
    /// <exception cref="ArgumentException">The name is unknown (the message lists the valid names).</exception>
    public static Imaging.ImagePreprocessing Preprocessing(string name) => Normalize(name) switch
    {
        "scenenet" or "scenevit" => new Imaging.ImagePreprocessing { Resize = SceneNet.TrainingSize },
        "scenedet" => new Imaging.ImagePreprocessing { Resize = SceneDet.TrainingSize },
        "shapesnet" => Imaging.ImagePreprocessing.None,
        "swin-t" => new Imaging.ImagePreprocessing { Resize = 232, CenterCrop = 224, Filter = Imaging.ResizeFilter.Bicubic },
        _ => Imaging.ImagePreprocessing.ImageNet,
    };

    /// <summary>
    /// Whether an architecture's outputs are independent per class (multi-label: a sigmoid reads each logit, as for the
    /// bundled SceneNet and scene ViT) rather than one choice among the classes (a softmax reads them together).
    /// </summary>
    /// <param name="name">One of <see cref="Names"/>, case-insensitive.</param>
    /// <exception cref="ArgumentException">The name is unknown (the message lists the valid names).</exception>
    public static bool IsMultiLabel(string name) => Normalize(name) is "scenenet" or "scenevit";

    /// <summary>The output layout of the zoo's detectors (<c>scenedet</c>: <see cref="Detection.DetectionLayout.YoloV8"/>); null for the other models.</summary>
    /// <param name="name">One of <see cref="Names"/>, case-insensitive.</param>
    /// <exception cref="ArgumentException">The name is unknown (the message lists the valid names).</exception>
    public static Detection.DetectionLayout? DetectionLayoutOf(string name) =>
        Normalize(name) == "scenedet" ? Detection.DetectionLayout.YoloV8 : null;

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
