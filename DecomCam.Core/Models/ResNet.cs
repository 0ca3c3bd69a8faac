using static TorchSharp.torch;

namespace DecomCamNet.Models;

/// <summary>The residual block family of a <see cref="ResNet"/>.</summary>
public enum ResNetBlockKind
{
    /// <summary>Two 3x3 convolutions (<see cref="BasicBlock"/>, expansion 1): ResNet-18 and ResNet-34.</summary>
    Basic,

    /// <summary>1x1, 3x3, 1x1 convolutions (<see cref="Bottleneck"/>, expansion 4): ResNet-50, -101 and -152.</summary>
    Bottleneck,
}

/// <summary>
/// torchvision's <c>BasicBlock</c>: conv1 (3x3, stride), bn1, relu, conv2 (3x3), bn2, plus an optional
/// <c>downsample</c> (1x1 conv "0", batch norm "1") on the shortcut, then relu.
/// </summary>
public sealed class BasicBlock : nn.Module<Tensor, Tensor>
{
    /// <summary>Output channels per <c>planes</c>.</summary>
    public const int Expansion = 1;

    private readonly nn.Module<Tensor, Tensor> conv1;
    private readonly nn.Module<Tensor, Tensor> bn1;
    private readonly nn.Module<Tensor, Tensor> relu;
    private readonly nn.Module<Tensor, Tensor> conv2;
    private readonly nn.Module<Tensor, Tensor> bn2;
    private readonly nn.Module<Tensor, Tensor>? downsample;

    /// <summary>Creates the block.</summary>
    /// <param name="inplanes">Input channels.</param>
    /// <param name="planes">Output channels.</param>
    /// <param name="stride">Stride of the first convolution (and of the shortcut).</param>
    /// <param name="downsample">The shortcut projection, or null for the identity.</param>
    /// <param name="device">Where to allocate the parameters (default: TorchSharp's default device).</param>
    public BasicBlock(
        long inplanes, long planes, long stride = 1, nn.Module<Tensor, Tensor>? downsample = null, Device? device = null)
        : base(nameof(BasicBlock))
    {
        conv1 = nn.Conv2d(inplanes, planes, 3, stride: stride, padding: 1, bias: false, device: device);
        bn1 = nn.BatchNorm2d(planes, device: device);
        relu = nn.ReLU();
        conv2 = nn.Conv2d(planes, planes, 3, stride: 1, padding: 1, bias: false, device: device);
        bn2 = nn.BatchNorm2d(planes, device: device);
        this.downsample = downsample;
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        var free = IntermediateRelease.For(input);
        var y = free.Chain(input, conv1, bn1, relu, conv2, bn2);
        var identity = downsample is null ? input : free.Then(input, downsample);
        return free.Then(free.Add(y, identity), relu);
    }
}

/// <summary>
/// torchvision's <c>Bottleneck</c> (v1.5, stride on the 3x3 convolution): conv1 (1x1), bn1, conv2 (3x3, stride), bn2,
/// conv3 (1x1, 4x channels), bn3, relu, plus an optional <c>downsample</c> (1x1 conv "0", batch norm "1").
/// </summary>
public sealed class Bottleneck : nn.Module<Tensor, Tensor>
{
    /// <summary>Output channels per <c>planes</c>.</summary>
    public const int Expansion = 4;

    private readonly nn.Module<Tensor, Tensor> conv1;
    private readonly nn.Module<Tensor, Tensor> bn1;
    private readonly nn.Module<Tensor, Tensor> conv2;
    private readonly nn.Module<Tensor, Tensor> bn2;
    private readonly nn.Module<Tensor, Tensor> conv3;
    private readonly nn.Module<Tensor, Tensor> bn3;
    private readonly nn.Module<Tensor, Tensor> relu;
    private readonly nn.Module<Tensor, Tensor>? downsample;

    /// <summary>Creates the block.</summary>
    /// <param name="inplanes">Input channels.</param>
    /// <param name="planes">Width of the inner convolutions; the block outputs <c>planes * 4</c> channels.</param>
    /// <param name="stride">Stride of the 3x3 convolution (and of the shortcut).</param>
    /// <param name="downsample">The shortcut projection, or null for the identity.</param>
    /// <param name="device">Where to allocate the parameters (default: TorchSharp's default device).</param>
    public Bottleneck(
        long inplanes, long planes, long stride = 1, nn.Module<Tensor, Tensor>? downsample = null, Device? device = null)
        : base(nameof(Bottleneck))
    {
        conv1 = nn.Conv2d(inplanes, planes, 1, bias: false, device: device);
        bn1 = nn.BatchNorm2d(planes, device: device);
        conv2 = nn.Conv2d(planes, planes, 3, stride: stride, padding: 1, bias: false, device: device);
        bn2 = nn.BatchNorm2d(planes, device: device);
        conv3 = nn.Conv2d(planes, planes * Expansion, 1, bias: false, device: device);
        bn3 = nn.BatchNorm2d(planes * Expansion, device: device);
        relu = nn.ReLU();
        this.downsample = downsample;
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        var free = IntermediateRelease.For(input);
        var y = free.Chain(input, conv1, bn1, relu, conv2, bn2, relu, conv3, bn3);
        var identity = downsample is null ? input : free.Then(input, downsample);
        return free.Then(free.Add(y, identity), relu);
    }
}

/// <summary>
/// torchvision's ResNet with its exact module and state-dict names: conv1, bn1, relu, maxpool, layer1..layer4 (blocks
/// "0", "1", ...), avgpool, fc. ReLUs are not in-place, so every hooked activation keeps its value.
/// </summary>
public sealed class ResNet : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> conv1;
    private readonly nn.Module<Tensor, Tensor> bn1;
    private readonly nn.Module<Tensor, Tensor> relu;
    private readonly nn.Module<Tensor, Tensor> maxpool;
    private readonly HookSafeSequential layer1;
    private readonly HookSafeSequential layer2;
    private readonly HookSafeSequential layer3;
    private readonly HookSafeSequential layer4;
    private readonly nn.Module<Tensor, Tensor> avgpool;
    private readonly nn.Module<Tensor, Tensor> fc;

    /// <summary>Creates a ResNet.</summary>
    /// <param name="block">The residual block family.</param>
    /// <param name="layers">Number of blocks in layer1..layer4 (exactly four entries).</param>
    /// <param name="numClasses">Outputs of <c>fc</c>.</param>
    /// <param name="name">The module name.</param>
    /// <param name="device">Where to allocate the parameters (default: TorchSharp's default device).</param>
    public ResNet(
        ResNetBlockKind block, IReadOnlyList<int> layers, long numClasses = 1000, string name = "ResNet",
        Device? device = null)
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Count != 4 || layers.Any(n => n < 1))
            throw new ArgumentException("A ResNet needs four positive block counts.", nameof(layers));
        if (numClasses < 1)
            throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "Must be positive.");

        Block = block;
        NumClasses = numClasses;
        long inplanes = 64;
        conv1 = nn.Conv2d(3, 64, 7, stride: 2, padding: 3, bias: false, device: device);
        bn1 = nn.BatchNorm2d(64, device: device);
        relu = nn.ReLU();
        maxpool = nn.MaxPool2d(3, stride: 2, padding: 1);
        layer1 = MakeLayer(block, ref inplanes, 64, layers[0], 1, device);
        layer2 = MakeLayer(block, ref inplanes, 128, layers[1], 2, device);
        layer3 = MakeLayer(block, ref inplanes, 256, layers[2], 2, device);
        layer4 = MakeLayer(block, ref inplanes, 512, layers[3], 2, device);
        avgpool = nn.AdaptiveAvgPool2d(1);
        fc = nn.Linear(inplanes, numClasses, device: device);
        RegisterComponents();
    }

    /// <summary>The residual block family.</summary>
    public ResNetBlockKind Block { get; }

    /// <summary>Outputs of the final classifier.</summary>
    public long NumClasses { get; }

    /// <summary>ResNet-18 (basic blocks 2, 2, 2, 2).</summary>
    /// <param name="numClasses">Outputs of <c>fc</c>.</param>
    /// <param name="device">Where to allocate the parameters (default: TorchSharp's default device).</param>
    public static ResNet ResNet18(long numClasses = 1000, Device? device = null) =>
        new(ResNetBlockKind.Basic, [2, 2, 2, 2], numClasses, "resnet18", device);

    /// <summary>ResNet-34 (basic blocks 3, 4, 6, 3).</summary>
    /// <param name="numClasses">Outputs of <c>fc</c>.</param>
    /// <param name="device">Where to allocate the parameters (default: TorchSharp's default device).</param>
    public static ResNet ResNet34(long numClasses = 1000, Device? device = null) =>
        new(ResNetBlockKind.Basic, [3, 4, 6, 3], numClasses, "resnet34", device);

    /// <summary>ResNet-50 (bottlenecks 3, 4, 6, 3).</summary>
    /// <param name="numClasses">Outputs of <c>fc</c>.</param>
    /// <param name="device">Where to allocate the parameters (default: TorchSharp's default device).</param>
    public static ResNet ResNet50(long numClasses = 1000, Device? device = null) =>
        new(ResNetBlockKind.Bottleneck, [3, 4, 6, 3], numClasses, "resnet50", device);

    /// <summary>ResNet-101 (bottlenecks 3, 4, 23, 3).</summary>
    /// <param name="numClasses">Outputs of <c>fc</c>.</param>
    /// <param name="device">Where to allocate the parameters (default: TorchSharp's default device).</param>
    public static ResNet ResNet101(long numClasses = 1000, Device? device = null) =>
        new(ResNetBlockKind.Bottleneck, [3, 4, 23, 3], numClasses, "resnet101", device);

    /// <summary>ResNet-152 (bottlenecks 3, 8, 36, 3).</summary>
    /// <param name="numClasses">Outputs of <c>fc</c>.</param>
    /// <param name="device">Where to allocate the parameters (default: TorchSharp's default device).</param>
    public static ResNet ResNet152(long numClasses = 1000, Device? device = null) =>
        new(ResNetBlockKind.Bottleneck, [3, 8, 36, 3], numClasses, "resnet152", device);

    private static HookSafeSequential MakeLayer(
        ResNetBlockKind block, ref long inplanes, long planes, int blocks, long stride, Device? device)
    {
        long expansion = block == ResNetBlockKind.Basic ? BasicBlock.Expansion : Bottleneck.Expansion;
        nn.Module<Tensor, Tensor>? downsample = null;
        if (stride != 1 || inplanes != planes * expansion)
        {
            downsample = new HookSafeSequential(
                nn.Conv2d(inplanes, planes * expansion, 1, stride: stride, bias: false, device: device),
                nn.BatchNorm2d(planes * expansion, device: device));
        }

        var list = new List<nn.Module<Tensor, Tensor>>(blocks) { NewBlock(block, inplanes, planes, stride, downsample, device) };
        inplanes = planes * expansion;
        for (int i = 1; i < blocks; i++)
            list.Add(NewBlock(block, inplanes, planes, 1, null, device));
        return new HookSafeSequential(list);
    }

    private static nn.Module<Tensor, Tensor> NewBlock(
        ResNetBlockKind block, long inplanes, long planes, long stride, nn.Module<Tensor, Tensor>? downsample,
        Device? device) =>
        block == ResNetBlockKind.Basic
            ? new BasicBlock(inplanes, planes, stride, downsample, device)
            : new Bottleneck(inplanes, planes, stride, downsample, device);

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        var free = IntermediateRelease.For(input);
        var x = free.Chain(input, conv1, bn1, relu, maxpool, layer1, layer2, layer3, layer4, avgpool);
        var flat = x.flatten(1);
        free.Release(x, flat);
        return free.Then(flat, fc);
    }
}
