using static TorchSharp.torch;

namespace DecomCamNet.Models;

/// <summary>
/// The hyperparameters of a <see cref="VisionTransformer"/>, named as torchvision's <c>VisionTransformer</c> names them.
/// </summary>
/// <param name="ImageSize">Side of the square input image (the position embedding fixes it).</param>
/// <param name="PatchSize">Side of the square patches (kernel and stride of <c>conv_proj</c>); must divide <paramref name="ImageSize"/>.</param>
/// <param name="Layers">Number of encoder blocks.</param>
/// <param name="Heads">Attention heads per block; must divide <paramref name="HiddenDim"/>.</param>
/// <param name="HiddenDim">Token width.</param>
/// <param name="MlpDim">Hidden width of each block's MLP.</param>
/// <param name="NumClasses">Outputs of the classifier <c>heads.head</c>.</param>
/// <param name="LayerNormEps">The epsilon of every layer norm: torchvision's 1e-6; Hugging Face's ViT and DeiT use 1e-12.</param>
public sealed record VisionTransformerConfig(
    int ImageSize, int PatchSize, int Layers, int Heads, int HiddenDim, int MlpDim, int NumClasses = 1000,
    double LayerNormEps = 1e-6)
{
    /// <summary>The width of one attention head that standard ViTs use (ViT-B, -L, -H; DeiT): heads = width / 64.</summary>
    public const int StandardHeadWidth = 64;

    /// <summary>torchvision's <c>vit_b_16</c>: 224 px, patches of 16, 12 blocks of width 768 with 12 heads, MLP 3072.</summary>
    public static VisionTransformerConfig VitB16 { get; } = new(224, 16, 12, 12, 768, 3072);

    /// <summary>torchvision's <c>vit_b_32</c>: as <see cref="VitB16"/> with patches of 32.</summary>
    public static VisionTransformerConfig VitB32 { get; } = new(224, 32, 12, 12, 768, 3072);

    /// <summary>
    /// The bundled demo ViT (<c>scenevit</c>), trained on the generated scenes as <see cref="SceneNet"/> is: 128 px
    /// (<see cref="SceneNet.TrainingSize"/>), patches of 16 (an 8x8 grid, 65 tokens with the class token), 4 blocks of
    /// width 96 with 4 heads, MLP 192, one logit per shape class (<see cref="SceneNet.DefaultNumClasses"/>).
    /// </summary>
    public static VisionTransformerConfig SceneVit { get; } = new(SceneNet.TrainingSize, 16, 4, 4, 96, 192, SceneNet.DefaultNumClasses);

    /// <summary>Patches per side of the input: <c>ImageSize / PatchSize</c>.</summary>
    public int GridSize => ImageSize / PatchSize;

    /// <summary>
    /// The configuration that a state dict with torchvision's ViT names describes: width and patch from
    /// <c>conv_proj.weight</c>, image size = patch x sqrt(rows of <c>encoder.pos_embedding</c> - 1), blocks from the
    /// <c>encoder.layers.encoder_layer_N</c> keys, MLP width from <c>mlp.0.weight</c>, classes from <c>heads.head.weight</c>.
    /// The weights do not hold the number of heads: unless given, it is width / <see cref="StandardHeadWidth"/>.
    /// </summary>
    /// <param name="stateDict">The state dict (torchvision's names).</param>
    /// <param name="heads">Attention heads; null means width / 64.</param>
    /// <param name="layerNormEps">The layer norms' epsilon (not in the weights).</param>
    /// <exception cref="ArgumentException">A key is missing, or the shapes do not describe a ViT (the message names the key).</exception>
    public static VisionTransformerConfig FromStateDict(
        IReadOnlyDictionary<string, Tensor> stateDict, int? heads = null, double layerNormEps = 1e-6)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        var proj = Shape(stateDict, "conv_proj.weight", 4);
        long width = proj[0], patch = proj[2];
        if (proj[1] != 3 || proj[3] != patch)
            throw new ArgumentException($"'conv_proj.weight' is [{string.Join(", ", proj)}]; a ViT's is [width, 3, patch, patch].", nameof(stateDict));
        long tokens = Shape(stateDict, "encoder.pos_embedding", 3)[1];
        long grid = (long)Math.Round(Math.Sqrt(tokens - 1));
        if (tokens < 2 || grid * grid != tokens - 1)
            throw new ArgumentException($"'encoder.pos_embedding' has {tokens} tokens, not a class token and a square grid.", nameof(stateDict));
        const string prefix = "encoder.layers.encoder_layer_";
        int layers = 0;
        while (stateDict.ContainsKey($"{prefix}{layers}.ln_1.weight"))
            layers++;
        if (layers == 0)
            throw new ArgumentException($"The state dict has no '{prefix}0.ln_1.weight': not a torchvision ViT.", nameof(stateDict));
        long mlp = Shape(stateDict, $"{prefix}0.mlp.0.weight", 2)[0];
        long classes = Shape(stateDict, "heads.head.weight", 2)[0];
        int headCount = heads ?? (int)(width / StandardHeadWidth);
        if (headCount < 1 || width % headCount != 0)
            throw new ArgumentException(
                $"Width {width} cannot be split into {(heads is null ? $"heads of {StandardHeadWidth}" : $"{heads} heads")}; give the number of heads.",
                nameof(heads));
        return new((int)(grid * patch), (int)patch, layers, headCount, (int)width, (int)mlp, (int)classes, layerNormEps);
    }

    private static long[] Shape(IReadOnlyDictionary<string, Tensor> stateDict, string key, int rank)
    {
        if (!stateDict.TryGetValue(key, out var tensor))
            throw new ArgumentException($"The state dict has no '{key}': not a torchvision ViT.", nameof(stateDict));
        if (tensor.dim() != rank)
            throw new ArgumentException($"'{key}' is [{string.Join(", ", tensor.shape)}], not of rank {rank}.", nameof(stateDict));
        return tensor.shape;
    }
}
