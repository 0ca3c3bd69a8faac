using static TorchSharp.torch;

namespace DecomCamNet.Models;

/// <summary>
/// The small demo CNN bundled with DecomCam.NET (Python twin: <c>reference/models.py</c>). Children in order:
/// <c>block1</c> = (Conv2d(3,16,3,pad 1), BatchNorm2d, ReLU), <c>pool1</c> = MaxPool2d(2), <c>block2</c> (16 to 32),
/// <c>pool2</c>, <c>block3</c> (32 to 64), <c>gap</c> = AdaptiveAvgPool2d(1), <c>fc</c> = Linear(64, classes).
/// </summary>
public sealed class ShapesNet : nn.Module<Tensor, Tensor>
{
    /// <summary>The number of classes of the bundled demo model.</summary>
    public const int DefaultNumClasses = 4;

    private readonly HookSafeSequential block1;
    private readonly nn.Module<Tensor, Tensor> pool1;
    private readonly HookSafeSequential block2;
    private readonly nn.Module<Tensor, Tensor> pool2;
    private readonly HookSafeSequential block3;
    private readonly nn.Module<Tensor, Tensor> gap;
    private readonly nn.Module<Tensor, Tensor> fc;

    /// <summary>Creates the network.</summary>
    /// <param name="numClasses">Outputs of <c>fc</c>.</param>
    /// <param name="device">Where to allocate the parameters (default: TorchSharp's default device).</param>
    public ShapesNet(long numClasses = DefaultNumClasses, Device? device = null) : base("shapesnet")
    {
        if (numClasses < 1)
            throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "Must be positive.");
        NumClasses = numClasses;
        block1 = ConvBlock(3, 16, device);
        pool1 = nn.MaxPool2d(2);
        block2 = ConvBlock(16, 32, device);
        pool2 = nn.MaxPool2d(2);
        block3 = ConvBlock(32, 64, device);
        gap = nn.AdaptiveAvgPool2d(1);
        fc = nn.Linear(64, numClasses, device: device);
        RegisterComponents();
    }

    /// <summary>Outputs of <c>fc</c>.</summary>
    public long NumClasses { get; }

    internal static HookSafeSequential ConvBlock(long inChannels, long outChannels, Device? device, long stride = 1) =>
        new(nn.Conv2d(inChannels, outChannels, 3, stride: stride, padding: 1, device: device),
            nn.BatchNorm2d(outChannels, device: device),
            nn.ReLU());

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        var free = IntermediateRelease.For(input);
        var x = free.Chain(input, block1, pool1, block2, pool2, block3, gap);
        var flat = x.flatten(1);
        free.Release(x, flat);
        return free.Then(flat, fc);
    }
}
