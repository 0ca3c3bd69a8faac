namespace DecomCamNet.Clip.Models;

/// <summary>
/// OpenAI's released CLIP architectures by name, with the hyperparameters that OpenAI's <c>build_model</c> infers from
/// their checkpoints. Nothing is downloaded: <see cref="Create"/> gives random weights; load a converted checkpoint
/// with <see cref="ClipModel.FromStateDict"/> or <see cref="DecomCamNet.Models.StateDictLoader"/>.
/// </summary>
public static class ClipZoo
{
    private static readonly (string Name, ClipConfig Config)[] All =
    [
        ("clip-rn50", new ClipConfig(1024, 224, [3, 4, 6, 3], 64, null, 77, 49408, 512, 8, 12)),
        ("clip-rn101", new ClipConfig(512, 224, [3, 4, 23, 3], 64, null, 77, 49408, 512, 8, 12)),
        ("clip-rn50x4", new ClipConfig(640, 288, [4, 6, 10, 6], 80, null, 77, 49408, 640, 10, 12)),
        ("clip-vit-b32", new ClipConfig(512, 224, [12], 768, 32, 77, 49408, 512, 8, 12)),
        ("clip-vit-b16", new ClipConfig(512, 224, [12], 768, 16, 77, 49408, 512, 8, 12)),
    ];

    /// <summary>The names the zoo knows (lower case; matching ignores case): <c>clip-rn50</c>, <c>clip-rn101</c>,
    /// <c>clip-rn50x4</c>, <c>clip-vit-b32</c>, <c>clip-vit-b16</c>.</summary>
    public static IReadOnlyList<string> Names { get; } = Array.AsReadOnly(All.Select(e => e.Name).ToArray());

    /// <summary>The hyperparameters of a named model.</summary>
    /// <param name="name">One of <see cref="Names"/>, case-insensitive.</param>
    /// <exception cref="ArgumentException">The name is unknown (the message lists the valid names).</exception>
    public static ClipConfig Config(string name) => All[IndexOf(name)].Config;

    /// <summary>Creates a named model with OpenAI's random initialisation, in evaluation mode.</summary>
    /// <param name="name">One of <see cref="Names"/>, case-insensitive.</param>
    /// <param name="device">Where to allocate the parameters; null means TorchSharp's default device. <c>torch.META</c>
    /// builds the structure without allocating weights.</param>
    /// <returns>The model; the caller owns it and should dispose it.</returns>
    /// <exception cref="ArgumentException">The name is unknown (the message lists the valid names).</exception>
    public static ClipModel Create(string name, TorchSharp.torch.Device? device = null)
    {
        var model = new ClipModel(Config(name), device);
        model.eval();
        return model;
    }

    /// <summary>Whether the named model's image encoder is a vision transformer.</summary>
    /// <param name="name">One of <see cref="Names"/>, case-insensitive.</param>
    /// <exception cref="ArgumentException">The name is unknown.</exception>
    public static bool IsVit(string name) => Config(name).IsVit;

    /// <summary>
    /// The usual CAM layer of a named model, as a dotted name in <see cref="ClipModel"/>: <c>visual.layer4</c> for the
    /// ResNets; <c>visual.transformer.resblocks.{last}.ln_1</c> for the ViTs, whose tokens [L, N, width] need a
    /// token-to-grid reshape. Not the last block's output: only its class token reaches the embedding, so the
    /// gradients at its patch tokens are zero.
    /// </summary>
    /// <param name="name">One of <see cref="Names"/>, case-insensitive.</param>
    /// <exception cref="ArgumentException">The name is unknown.</exception>
    public static string DefaultLayer(string name) => DefaultLayer(Config(name));

    /// <summary>The default layer of a model of <paramref name="config"/> (see <see cref="DefaultLayer(string)"/>).</summary>
    public static string DefaultLayer(ClipConfig config) => config.IsVit
        ? "visual.transformer.resblocks." + (config.VisionLayers[0] - 1).ToString(System.Globalization.CultureInfo.InvariantCulture) + ".ln_1"
        : "visual.layer4";

    /// <summary>
    /// How the image encoder's layers become feature maps: OpenAI's ViT runs sequence-first with a class token
    /// (<see cref="ActivationReshape.VitSequenceFirst"/>); the ResNet's layers are feature maps already.
    /// </summary>
    public static ActivationReshape Reshape(ClipConfig config) => config.IsVit ? ActivationReshape.VitSequenceFirst : ActivationReshape.None;

    private static int IndexOf(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var key = name.Trim().ToLowerInvariant();
        for (int i = 0; i < All.Length; i++)
            if (All[i].Name == key)
                return i;
        throw new ArgumentException(
            $"Unknown CLIP model '{name}'. Valid names: {string.Join(", ", All.Select(e => e.Name))}.", nameof(name));
    }
}
