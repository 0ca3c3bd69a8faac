using DecomCamNet.Models;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace DecomCamNet.Clip.Models;

/// <summary>
/// The residual block of CLIP's <see cref="ModifiedResNet"/>: conv1 (1x1), bn1, relu1, conv2 (3x3), bn2, relu2,
/// <c>avgpool</c> (average pooling by the stride, identity at stride 1: anti-aliased downsampling instead of a strided
/// convolution), conv3 (1x1, 4x channels), bn3, and after the shortcut relu3. Every convolution has stride 1. ReLUs are
/// not in-place, so every hooked activation keeps its value.
/// </summary>
public sealed class AntiAliasedBottleneck : nn.Module<Tensor, Tensor>
{
    /// <summary>Output channels per <c>planes</c>.</summary>
    public const int Expansion = 4;

    private readonly nn.Module<Tensor, Tensor> conv1;
    private readonly nn.Module<Tensor, Tensor> bn1;
    private readonly nn.Module<Tensor, Tensor> relu1;
    private readonly nn.Module<Tensor, Tensor> conv2;
    private readonly nn.Module<Tensor, Tensor> bn2;
    private readonly nn.Module<Tensor, Tensor> relu2;
    private readonly nn.Module<Tensor, Tensor> avgpool;
    private readonly nn.Module<Tensor, Tensor> conv3;
    private readonly nn.Module<Tensor, Tensor> bn3;
    private readonly nn.Module<Tensor, Tensor> relu3;
    private readonly AntiAliasedDownsample? downsample;

    /// <summary>Creates the block; a <c>downsample</c> shortcut is added when the stride or the width changes.</summary>
    /// <param name="inplanes">Input channels.</param>
    /// <param name="planes">Width of the inner convolutions; the block outputs <c>planes * 4</c> channels.</param>
    /// <param name="stride">Downsampling factor (1 or 2).</param>
    /// <param name="device">Where to allocate the parameters (default: TorchSharp's default device).</param>
    public AntiAliasedBottleneck(long inplanes, long planes, long stride = 1, Device? device = null)
        : base(nameof(AntiAliasedBottleneck))
    {
        conv1 = nn.Conv2d(inplanes, planes, 1, bias: false, device: device);
        bn1 = nn.BatchNorm2d(planes, device: device);
        relu1 = nn.ReLU();
        conv2 = nn.Conv2d(planes, planes, 3, padding: 1, bias: false, device: device);
        bn2 = nn.BatchNorm2d(planes, device: device);
        relu2 = nn.ReLU();
        avgpool = stride > 1 ? nn.AvgPool2d(stride) : nn.Identity();
        conv3 = nn.Conv2d(planes, planes * Expansion, 1, bias: false, device: device);
        bn3 = nn.BatchNorm2d(planes * Expansion, device: device);
        relu3 = nn.ReLU();
        if (stride > 1 || inplanes != planes * Expansion)
            downsample = new AntiAliasedDownsample(inplanes, planes * Expansion, stride, device);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        var free = IntermediateRelease.For(input);
        var y = free.Chain(input, conv1, bn1, relu1, conv2, bn2, relu2, avgpool, conv3, bn3);
        var identity = downsample is null ? input : free.Then(input, downsample);
        return free.Then(free.Add(y, identity), relu3);
    }
}

/// <summary>
/// The shortcut projection of an <see cref="AntiAliasedBottleneck"/>, with CLIP's module names: <c>-1</c> (average
/// pooling by the stride), <c>0</c> (1x1 convolution, stride 1), <c>1</c> (batch norm).
/// </summary>
public sealed class AntiAliasedDownsample : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "-1")]
    private readonly nn.Module<Tensor, Tensor> pool;

    [ComponentName(Name = "0")]
    private readonly nn.Module<Tensor, Tensor> conv;

    [ComponentName(Name = "1")]
    private readonly nn.Module<Tensor, Tensor> bn;

    /// <summary>Creates the shortcut.</summary>
    /// <param name="inplanes">Input channels.</param>
    /// <param name="outplanes">Output channels.</param>
    /// <param name="stride">Pooling factor; 1 pools with a 1x1 window (an identity, as in CLIP).</param>
    /// <param name="device">Where to allocate the parameters (default: TorchSharp's default device).</param>
    public AntiAliasedDownsample(long inplanes, long outplanes, long stride, Device? device = null)
        : base(nameof(AntiAliasedDownsample))
    {
        pool = nn.AvgPool2d(stride);
        conv = nn.Conv2d(inplanes, outplanes, 1, bias: false, device: device);
        bn = nn.BatchNorm2d(outplanes, device: device);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input) => IntermediateRelease.For(input).Chain(input, pool, conv, bn);
}
