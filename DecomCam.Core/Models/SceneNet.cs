using static TorchSharp.torch;

namespace DecomCamNet.Models;

/// <summary>
/// The CAM-friendly CNN of the bundled demo model, trained on DecomCam.Evaluation's generated scenes by
/// <c>decomcam train-demo</c> (128x128 RGB in, one logit per shape class out, multi-label). Children in order:
/// <c>block1</c> = (Conv2d(3,16,3,stride 2,pad 1), BatchNorm2d, ReLU), <c>block2</c> (16 to 32, stride 1),
/// <c>pool2</c> = MaxPool2d(2), <c>block3</c> (32 to 64), <c>pool3</c>, <c>block4</c> (64 to 128), <c>gap</c> = AdaptiveAvgPool2d(1),
/// <c>fc</c> = Linear(128, classes). The CAM layer is <c>block4</c>: 16x16 cells of 8 px for a 128 px input, receptive
/// field 37 px; global average pooling straight after it, so its Grad-CAM equals the classic CAM.
/// </summary>
public sealed class SceneNet : nn.Module<Tensor, Tensor>
{
    /// <summary>The number of classes of the bundled demo model (the scene generator's shape classes).</summary>
    public const int DefaultNumClasses = 8;

    /// <summary>The side in pixels of the square scenes it was trained on; <see cref="ModelZoo.Preprocessing"/> resizes the
    /// shorter side of an image to it.</summary>
    public const int TrainingSize = 128;

    private readonly HookSafeSequential block1;
    private readonly HookSafeSequential block2;
    private readonly nn.Module<Tensor, Tensor> pool2;
    private readonly HookSafeSequential block3;
    private readonly nn.Module<Tensor, Tensor> pool3;
    private readonly HookSafeSequential block4;
    private readonly nn.Module<Tensor, Tensor> gap;
    private readonly nn.Module<Tensor, Tensor> fc;

    /// <summary>Creates the network.</summary>
    /// <param name="numClasses">Outputs of <c>fc</c>.</param>
    /// <param name="device">Where to allocate the parameters (default: TorchSharp's default device).</param>
    public SceneNet(long numClasses = DefaultNumClasses, Device? device = null) : base("scenenet")
    {
        if (numClasses < 1)
            throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "Must be positive.");
        NumClasses = numClasses;
        block1 = ShapesNet.ConvBlock(3, 16, device, stride: 2);
        block2 = ShapesNet.ConvBlock(16, 32, device);
        pool2 = nn.MaxPool2d(2);
        block3 = ShapesNet.ConvBlock(32, 64, device);
        pool3 = nn.MaxPool2d(2);
        block4 = ShapesNet.ConvBlock(64, 128, device);
        gap = nn.AdaptiveAvgPool2d(1);
        fc = nn.Linear(128, numClasses, device: device);
        RegisterComponents();
    }

    /// <summary>Outputs of the classifier.</summary>
    public long NumClasses { get; }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        var free = IntermediateRelease.For(input);
        var x = free.Chain(input, block1, block2, pool2, block3, pool3, block4, gap);
        var flat = x.flatten(1);
        free.Release(x, flat);
        return free.Then(flat, fc);
    }
}
