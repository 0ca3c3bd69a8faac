using static TorchSharp.torch;

namespace DecomCamNet.Models;

/// <summary>
/// torchvision's <c>SwinTransformer</c> (Liu et al. 2021) with its exact module and state-dict names: <c>features</c>
/// (<c>0</c>: patch embedding <c>0</c> conv, <c>1</c> permute to channels-last, <c>2</c> norm; then the stages, each a
/// sequence of <see cref="SwinTransformerBlock"/>s, with a <see cref="PatchMerging"/> between consecutive stages),
/// <c>norm</c>, <c>permute</c>, <c>avgpool</c>, <c>flatten</c>, <c>head</c>; so torchvision checkpoints (<c>swin_t</c>)
/// load with <see cref="StateDictLoader"/>.
/// </summary>
/// <remarks>
/// Stages are channels-last <c>[N, H, W, C]</c>: explain the last stage (<see cref="SwinConfig.LastStage"/>,
/// <c>features.7</c> for Swin-T) with <see cref="ActivationReshape.Swin"/>. Every block's window attention
/// probabilities pass through a hookable <c>attn.attn_probs</c> (<see cref="AttentionProbabilities"/>). Any input size
/// works: windows are padded as in torchvision.
/// </remarks>
public sealed class SwinTransformer : nn.Module<Tensor, Tensor>
{
    private readonly HookSafeSequential features;
    private readonly nn.Module<Tensor, Tensor> norm;
    private readonly nn.Module<Tensor, Tensor> permute;
    private readonly nn.Module<Tensor, Tensor> avgpool;
    private readonly nn.Module<Tensor, Tensor> flatten;
    private readonly nn.Module<Tensor, Tensor> head;

    /// <summary>Creates the model with random weights, in training mode.</summary>
    /// <param name="config">The hyperparameters.</param>
    /// <param name="device">Where to allocate the parameters; null means TorchSharp's default device.
    /// <c>torch.META</c> builds the structure without allocating weights.</param>
    /// <exception cref="ArgumentException">The configuration is inconsistent (the message names the value).</exception>
    public SwinTransformer(SwinConfig config, Device? device = null)
        : base(nameof(SwinTransformer))
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.Stages < 1 || config.Heads.Count != config.Stages || config.Depths.Any(d => d < 1) || config.Heads.Any(h => h < 1))
            throw new ArgumentException($"Swin needs one positive depth and head count per stage: {string.Join(",", config.Depths)} / {string.Join(",", config.Heads)}.", nameof(config));
        if (config.PatchSize < 1 || config.EmbedDim < 1 || config.WindowSize < 1 || config.NumClasses < 1 || !(config.MlpRatio > 0))
            throw new ArgumentException($"Patch size, width, window, MLP ratio and classes must be positive: {config}.", nameof(config));
        Config = config;
        var layers = new List<nn.Module<Tensor, Tensor>>
        {
            new HookSafeSequential(
                nn.Conv2d(3, config.EmbedDim, config.PatchSize, stride: config.PatchSize, device: device),
                new Permute(0, 2, 3, 1),
                nn.LayerNorm(config.EmbedDim, 1e-5, device: device)),
        };
        for (int stage = 0; stage < config.Stages; stage++)
        {
            long width = (long)config.EmbedDim << stage;
            layers.Add(new HookSafeSequential(Enumerable.Range(0, config.Depths[stage]).Select(i =>
                (nn.Module<Tensor, Tensor>)new SwinTransformerBlock(
                    width, config.Heads[stage], config.WindowSize, i % 2 == 0 ? 0 : config.WindowSize / 2, config.MlpRatio, device))));
            if (stage < config.Stages - 1)
                layers.Add(new PatchMerging(width, device));
        }
        features = new HookSafeSequential(layers);
        long outputWidth = (long)config.EmbedDim << (config.Stages - 1);
        norm = nn.LayerNorm(outputWidth, 1e-5, device: device);
        permute = new Permute(0, 3, 1, 2);
        avgpool = nn.AdaptiveAvgPool2d(1);
        flatten = nn.Flatten(1);
        head = nn.Linear(outputWidth, config.NumClasses, device: device);
        RegisterComponents();
    }

    /// <summary>The hyperparameters.</summary>
    public SwinConfig Config { get; }

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The input is not <c>[N, 3, H, W]</c>.</exception>
    public override Tensor forward(Tensor input)
    {
        if (input.ndim != 4 || input.shape[1] != 3)
            throw new ArgumentException($"Swin takes [N, 3, H, W] images, got [{string.Join(", ", input.shape)}].", nameof(input));
        return head.call(flatten.call(avgpool.call(permute.call(norm.call(features.call(input))))));
    }
}
