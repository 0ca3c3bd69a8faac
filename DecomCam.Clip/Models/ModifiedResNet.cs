using DecomCamNet.Models;
using static TorchSharp.torch;

namespace DecomCamNet.Clip.Models;

/// <summary>
/// CLIP's ResNet image encoder (RN50, RN101, RN50x4, ...) with OpenAI's module names: a three-convolution stem
/// (<c>conv1</c>/<c>bn1</c>/<c>relu1</c> with stride 2, <c>conv2</c>/<c>bn2</c>/<c>relu2</c>,
/// <c>conv3</c>/<c>bn3</c>/<c>relu3</c>, then <c>avgpool</c> 2x2), <c>layer1</c>..<c>layer4</c> of
/// <see cref="AntiAliasedBottleneck"/>s, and <see cref="AttentionPool2d"/> <c>attnpool</c> in place of global average
/// pooling. Input [N, 3, R, R] (R = the input resolution), output [N, output_dim]; <c>layer4</c> is [N, 32 width, R/32, R/32].
/// </summary>
public sealed class ModifiedResNet : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> conv1;
    private readonly nn.Module<Tensor, Tensor> bn1;
    private readonly nn.Module<Tensor, Tensor> relu1;
    private readonly nn.Module<Tensor, Tensor> conv2;
    private readonly nn.Module<Tensor, Tensor> bn2;
    private readonly nn.Module<Tensor, Tensor> relu2;
    private readonly nn.Module<Tensor, Tensor> conv3;
    private readonly nn.Module<Tensor, Tensor> bn3;
    private readonly nn.Module<Tensor, Tensor> relu3;
    private readonly nn.Module<Tensor, Tensor> avgpool;
    private readonly HookSafeSequential layer1;
    private readonly HookSafeSequential layer2;
    private readonly HookSafeSequential layer3;
    private readonly HookSafeSequential layer4;
    private readonly AttentionPool2d attnpool;

    /// <summary>Creates the encoder.</summary>
    /// <param name="layers">Blocks in layer1..layer4 (four positive counts).</param>
    /// <param name="outputDim">Width of the image embedding.</param>
    /// <param name="heads">Attention heads of <c>attnpool</c> (CLIP: 32 width / 64).</param>
    /// <param name="inputResolution">Side of the square input image; a multiple of 32.</param>
    /// <param name="width">Stem width (64 for RN50); layer4 outputs 32x as many channels.</param>
    /// <param name="device">Where to allocate the parameters (default: TorchSharp's default device).</param>
    public ModifiedResNet(
        IReadOnlyList<int> layers, long outputDim, long heads, int inputResolution = 224, long width = 64,
        Device? device = null)
        : base(nameof(ModifiedResNet))
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Count != 4 || layers.Any(n => n < 1))
            throw new ArgumentException("A ModifiedResNet needs four positive block counts.", nameof(layers));
        if (inputResolution < 32 || inputResolution % 32 != 0)
            throw new ArgumentOutOfRangeException(nameof(inputResolution), inputResolution, "Must be a positive multiple of 32.");
        InputResolution = inputResolution;
        OutputDim = outputDim;

        conv1 = nn.Conv2d(3, width / 2, 3, stride: 2, padding: 1, bias: false, device: device);
        bn1 = nn.BatchNorm2d(width / 2, device: device);
        relu1 = nn.ReLU();
        conv2 = nn.Conv2d(width / 2, width / 2, 3, padding: 1, bias: false, device: device);
        bn2 = nn.BatchNorm2d(width / 2, device: device);
        relu2 = nn.ReLU();
        conv3 = nn.Conv2d(width / 2, width, 3, padding: 1, bias: false, device: device);
        bn3 = nn.BatchNorm2d(width, device: device);
        relu3 = nn.ReLU();
        avgpool = nn.AvgPool2d(2);

        long inplanes = width;
        layer1 = MakeLayer(ref inplanes, width, layers[0], 1, device);
        layer2 = MakeLayer(ref inplanes, width * 2, layers[1], 2, device);
        layer3 = MakeLayer(ref inplanes, width * 4, layers[2], 2, device);
        layer4 = MakeLayer(ref inplanes, width * 8, layers[3], 2, device);
        attnpool = new AttentionPool2d(inputResolution / 32, width * 32, heads, outputDim, device);
        RegisterComponents();
    }

    /// <summary>Side of the square input image the positional embedding of <c>attnpool</c> was made for.</summary>
    public int InputResolution { get; }

    /// <summary>Width of the image embedding.</summary>
    public long OutputDim { get; }

    private static HookSafeSequential MakeLayer(ref long inplanes, long planes, int blocks, long stride, Device? device)
    {
        var list = new List<nn.Module<Tensor, Tensor>>(blocks) { new AntiAliasedBottleneck(inplanes, planes, stride, device) };
        inplanes = planes * AntiAliasedBottleneck.Expansion;
        for (int i = 1; i < blocks; i++)
            list.Add(new AntiAliasedBottleneck(inplanes, planes, 1, device));
        return new HookSafeSequential(list);
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        VisionInput.Check(input, InputResolution);
        return IntermediateRelease.For(input).Chain(
            input, conv1, bn1, relu1, conv2, bn2, relu2, conv3, bn3, relu3, avgpool, layer1, layer2, layer3, layer4, attnpool);
    }
}
