using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DecomCamNet.Models;

/// <summary>
/// torchvision's <c>VisionTransformer</c> (Dosovitskiy et al. 2021) with its exact module and state-dict names:
/// <c>conv_proj</c> (the patch embedding), <c>class_token</c>, <c>encoder</c> (<see cref="VitEncoder"/>:
/// <c>pos_embedding</c>, <c>layers.encoder_layer_N</c>, <c>ln</c>) and <c>heads.head</c>, so torchvision checkpoints
/// (<c>vit_b_16</c>, <c>vit_b_32</c>) load with <see cref="StateDictLoader"/>; Hugging Face ViT and DeiT checkpoints load
/// through <see cref="VitLoader"/>.
/// </summary>
/// <remarks>
/// Tokens are batch-first <c>[N, 1 + grid², width]</c>, the class token first: explain a block's input norm
/// (<c>encoder.layers.encoder_layer_11.ln_1</c>, <see cref="ModelZoo.DefaultLayer"/>) with
/// <see cref="ActivationReshape.Vit"/>. Every block's attention probabilities pass through a hookable
/// <c>self_attention.attn_probs</c> (<see cref="AttentionProbabilities"/>).
/// </remarks>
public sealed class VisionTransformer : nn.Module<Tensor, Tensor>, ITokenClassifier
{
    private readonly nn.Module<Tensor, Tensor> conv_proj;
    private readonly Parameter class_token;
    private readonly VitEncoder encoder;
    private readonly HookSafeSequential heads;

    /// <summary>
    /// Creates the model with random weights, in training mode: the class token zero and the position embedding from
    /// N(0, 0.02) as torchvision's, the rest with TorchSharp's default initialisation (torchvision zeroes the classifier,
    /// which would leave an untrained model without gradients).
    /// </summary>
    /// <param name="config">The hyperparameters.</param>
    /// <param name="device">Where to allocate the parameters; null means TorchSharp's default device.
    /// <c>torch.META</c> builds the structure without allocating weights.</param>
    /// <exception cref="ArgumentException">The configuration is inconsistent (the message names the value).</exception>
    public VisionTransformer(VisionTransformerConfig config, Device? device = null)
        : base(nameof(VisionTransformer))
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.PatchSize < 1 || config.ImageSize < config.PatchSize || config.ImageSize % config.PatchSize != 0)
            throw new ArgumentException($"Image size {config.ImageSize} is not a multiple of patch size {config.PatchSize}.", nameof(config));
        if (config.Layers < 1 || config.MlpDim < 1 || config.NumClasses < 1)
            throw new ArgumentException($"Layers, MLP width and classes must be positive: {config}.", nameof(config));
        Config = config;
        conv_proj = nn.Conv2d(3, config.HiddenDim, config.PatchSize, stride: config.PatchSize, device: device);
        class_token = nn.Parameter(zeros(1, 1, config.HiddenDim, device: device));
        encoder = new VitEncoder(config, device);
        heads = new HookSafeSequential([("head", (nn.Module<Tensor, Tensor>)nn.Linear(config.HiddenDim, config.NumClasses, device: device))]);
        RegisterComponents();
    }

    /// <summary>The hyperparameters.</summary>
    public VisionTransformerConfig Config { get; }

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The input is not <c>[N, 3, ImageSize, ImageSize]</c>.</exception>
    public override Tensor forward(Tensor input)
    {
        int size = Config.ImageSize;
        if (input.ndim != 4 || input.shape[1] != 3 || input.shape[2] != size || input.shape[3] != size)
            throw new ArgumentException(
                $"This ViT takes [N, 3, {size}, {size}] images (its position embedding fixes the size), got [{string.Join(", ", input.shape)}].",
                nameof(input));
        long batch = input.shape[0];
        using var patches = conv_proj.call(input).reshape(batch, Config.HiddenDim, (long)Config.GridSize * Config.GridSize);
        using var tokens = patches.permute(0, 2, 1);
        using var classTokens = class_token.expand(batch, -1, -1);
        using var sequence = cat([classTokens, tokens], 1);
        var encoded = encoder.call(sequence); // a module's output: hooks may hold it
        using var classToken = encoded.select(1, 0);
        return heads.call(classToken);
    }

    /// <inheritdoc />
    public IReadOnlyList<string> TokenBlocks => Enumerable.Range(0, Config.Layers).Select(i => $"encoder.layers.encoder_layer_{i}").ToArray();

    /// <inheritdoc />
    /// <remarks>The logits of a block's output [N, T, width]: <c>encoder.ln</c> of the class token, then <c>heads</c>.</remarks>
    public Tensor ClassifyTokens(Tensor blockOutput)
    {
        ArgumentNullException.ThrowIfNull(blockOutput);
        if (blockOutput.ndim != 3 || blockOutput.shape[2] != Config.HiddenDim)
            throw new ArgumentException($"Expected a block's batch-first tokens [N, T, {Config.HiddenDim}], got [{string.Join(", ", blockOutput.shape)}].", nameof(blockOutput));
        using var classToken = blockOutput.select(1, 0);
        using var normed = encoder.FinalNorm(classToken);
        return heads.call(normed);
    }
}
