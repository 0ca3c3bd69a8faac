using DecomCamNet.Cam;
using DecomCamNet.Models;
using DecomCamNet.Native;
using Microsoft.Extensions.Logging;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DecomCamNet;

/// <summary>
/// FullGrad (Srinivas and Fleuret, 2019): the full-gradient decomposition, aggregated over the whole network.
/// The input-gradient term |∂S/∂x ⊙ x| of each input channel plus, for every <see cref="Conv2d"/>,
/// <see cref="BatchNorm2d"/> and <see cref="IChannelBiasLayer"/> (an imported Conv or BatchNormalization node) z with a
/// bias b (a batch norm's effective bias in evaluation, b − μ·γ/√(σ² + ε)), the
/// bias-gradient term |b ⊙ ∂S/∂z| of each channel; every channel map is min-max scaled to [0,1] and resized to the
/// input, and all are summed (pytorch-grad-cam's aggregation). The final map is the min-max of the sum.
/// It uses every layer with a bias, so target layers given to it are ignored (with a logged notice), as in
/// pytorch-grad-cam. <see cref="CamResult.RawMaps"/> holds each bias layer's summed term at input size, in the order of
/// <see cref="CamResult.LayerNames"/>.
/// </summary>
public sealed class FullGrad : CamMethod
{
    private readonly IReadOnlyList<nn.Module> _biasLayers;

    /// <summary>FullGrad on <paramref name="model"/>; <paramref name="ignoredLayers"/> (if any) are logged and not used.</summary>
    /// <exception cref="ArgumentException">The model has no convolution or batch norm with a bias.</exception>
    public FullGrad(nn.Module<Tensor, Tensor> model, IReadOnlyList<CamLayer>? ignoredLayers = null, ILogger? logger = null)
        : this(model, BiasLayers(model), ignoredLayers, logger)
    {
    }

    private FullGrad(nn.Module<Tensor, Tensor> model, IReadOnlyList<(string Name, nn.Module Module)> biasLayers, IReadOnlyList<CamLayer>? ignoredLayers, ILogger? logger)
        : base(model, biasLayers.Select(l => (CamLayer)l.Name).ToArray(), logger)
    {
        _biasLayers = biasLayers.Select(l => l.Module).ToArray();
        if (ignoredLayers is { Count: > 0 })
            Logger.LogInformation("FullGrad uses all {Count} convolution and batch-norm layers with a bias; the target layer(s) {Layers} are ignored.",
                _biasLayers.Count, string.Join(", ", ignoredLayers));
    }

    /// <inheritdoc />
    public override string Name => "fullgrad";

    /// <inheritdoc />
    /// <remarks>FullGrad sums gradient terms of every bias layer (pytorch-grad-cam's eigen smoothing of them, over resized per-layer terms, is not reproduced): eigen smoothing does not apply.</remarks>
    protected override LayerMapKind MapKind => LayerMapKind.Other;

    /// <inheritdoc />
    protected override bool RequiresInputGradient => true;

    /// <inheritdoc />
    protected override LayerMap ComputeLayerMap(CamContext context, int layer)
    {
        var g = context.GradientsOf(layer);
        using var bias = EffectiveBias(_biasLayers[layer])!;
        return new LayerMap(ChannelSum(bias.to(g.dtype).reshape(1, -1, 1, 1) * g, context));
    }

    /// <inheritdoc />
    protected override Tensor Combine(CamContext context, IReadOnlyList<Tensor> raws) =>
        CamKernels.NormalizePerImage(stack(raws, 0).sum(new long[] { 0 }).add(ChannelSum(context.InputGradient! * context.Input, context), CachedScalars.One));

    /// <summary>Σ_k resize(minmax(|t_k|)): bilinear resizing is linear, so the channels are summed before it.</summary>
    private static Tensor ChannelSum(Tensor t, CamContext context)
    {
        var scaled = CamKernels.NormalizePerImage(t.abs().flatten(0, 1)).reshape(t.shape).sum(1);
        return CamKernels.Resize(scaled, context.Height, context.Width);
    }

    /// <summary>The layer's per-channel bias, detached; null when it has none.</summary>
    private static Tensor? EffectiveBias(nn.Module layer) => layer switch
    {
        BatchNorm2d { bias: not null } bn => BatchNormBias(bn),
        Conv2d { bias: not null } conv => conv.bias.detach(),
        IChannelBiasLayer imported => imported.ChannelBias,
        _ => null,
    };

    private static Tensor BatchNormBias(BatchNorm2d bn)
    {
        using var scope = NewDisposeScope();
        using var eps = bn.eps.ToScalar();
        return (bn.bias! - bn.running_mean! * bn.weight! / bn.running_var!.add(eps, CachedScalars.One).sqrt()).detach().MoveToOuterDisposeScope();
    }

    private static bool HasBias(nn.Module layer) => layer switch
    {
        BatchNorm2d { bias: not null } or Conv2d { bias: not null } => true,
        IChannelBiasLayer imported => imported.HasChannelBias,
        _ => false,
    };

    private static IReadOnlyList<(string Name, nn.Module Module)> BiasLayers(nn.Module model)
    {
        var found = model.named_modules().Where(m => HasBias(m.module)).Select(m => (m.name, m.module)).ToArray();
        return found.Length > 0 ? found
            : throw new ArgumentException("FullGrad needs convolution or batch-norm layers with a bias; the model has none.", nameof(model));
    }
}
