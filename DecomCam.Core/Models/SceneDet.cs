using DecomCamNet.Native;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DecomCamNet.Models;

/// <summary>
/// The demo detector: a small anchor-free YOLO-style network trained on DecomCam.Evaluation's generated scenes by
/// <c>decomcam train-demo</c> for detection (128x128 RGB in). Children in order: <c>block1</c> = (Conv2d(3,16,3,stride
/// 2,pad 1), BatchNorm2d, ReLU), <c>block2</c> (16 to 32, stride 2), <c>block3</c> (32 to 64, stride 2), <c>block4</c>
/// (64 to 64), <c>block5</c> (64 to 64, dilation 2), <c>head</c> = Conv2d(64, 4+K, 1). One output scale, stride 8:
/// 16x16 anchors for a 128 px input, receptive field 63 px at <c>block5</c>, the CAM layer. The output is YOLOv8's
/// layout <c>[N, 4+K, A]</c>, anchors row-major over the grid: per anchor the box centre
/// <c>(cell + sigmoid(t)) * 8</c>, its width and height <c>exp(t) * 32</c> pixels (t clamped to [-6, 4]), then K
/// sigmoid class scores. The class biases start at −4.6 (a score of 0.01, as RetinaNet starts its classifier), so that
/// the many empty cells do not swamp the first steps of training.
/// </summary>
public sealed class SceneDet : nn.Module<Tensor, Tensor>
{
    /// <summary>The number of classes of the bundled model (the scene generator's shape classes).</summary>
    public const int DefaultNumClasses = 8;

    /// <summary>The side in pixels of the square scenes it was trained on.</summary>
    public const int TrainingSize = 128;

    /// <summary>Input pixels per output cell.</summary>
    public const int Stride = 8;

    /// <summary>The box side in pixels that a width or height logit of 0 means.</summary>
    public const float BoxPrior = 32f;

    private static readonly Scalar StrideScalar = ((float)Stride).ToScalar();
    private static readonly Scalar PriorScalar = BoxPrior.ToScalar();
    private static readonly Scalar MinLogSize = (-6f).ToScalar();
    private static readonly Scalar MaxLogSize = 4f.ToScalar();
    private static readonly Scalar ClassPriorLogit = (-4.6f).ToScalar();

    private readonly HookSafeSequential block1;
    private readonly HookSafeSequential block2;
    private readonly HookSafeSequential block3;
    private readonly HookSafeSequential block4;
    private readonly HookSafeSequential block5;
    private readonly Conv2d head;

    /// <summary>Creates the network.</summary>
    /// <param name="numClasses">Class scores per anchor.</param>
    /// <param name="device">Where to allocate the parameters (default: TorchSharp's default device).</param>
    public SceneDet(long numClasses = DefaultNumClasses, Device? device = null) : base("scenedet")
    {
        if (numClasses < 1)
            throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "Must be positive.");
        NumClasses = numClasses;
        block1 = Block(3, 16, device, stride: 2);
        block2 = Block(16, 32, device, stride: 2);
        block3 = Block(32, 64, device, stride: 2);
        block4 = Block(64, 64, device);
        block5 = Block(64, 64, device, dilation: 2);
        head = nn.Conv2d(64, 4 + numClasses, 1, device: device);
        using (no_grad()) head.bias!.narrow(0, 4, numClasses).fill_(ClassPriorLogit);
        RegisterComponents();
    }

    /// <summary>Class scores per anchor (K).</summary>
    public long NumClasses { get; }

    /// <summary>The raw head output <c>[N, 4+K, h, w]</c> (box logits, class logits), before <see cref="Decode"/>: what
    /// the training loss reads.</summary>
    public Tensor Raw(Tensor input)
    {
        var free = IntermediateRelease.For(input);
        var x = free.Chain(input, block1, block2, block3, block4, block5);
        return free.Then(x, head);
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input) => Decode(Raw(input));

    /// <summary>
    /// The head output <c>[N, 4+K, h, w]</c> as YOLOv8 rows <c>[N, 4+K, h*w]</c>: centre x, centre y, width, height in
    /// input pixels, then the sigmoid of the class logits.
    /// </summary>
    public static Tensor Decode(Tensor raw)
    {
        ArgumentNullException.ThrowIfNull(raw);
        if (raw.dim() != 4 || raw.shape[1] < 5)
            throw new ArgumentException($"SceneDet's head output is [N,4+K,h,w]; got [{string.Join(",", raw.shape)}].", nameof(raw));
        using var scope = NewDisposeScope();
        long h = raw.shape[2], w = raw.shape[3];
        var t = raw.flatten(2);
        var gx = OwnedScalarOps.Arange(w, raw.dtype, raw.device).unsqueeze(0).expand(h, w).reshape(-1);
        var gy = OwnedScalarOps.Arange(h, raw.dtype, raw.device).unsqueeze(1).expand(h, w).reshape(-1);
        var grid = stack(new[] { gx, gy }, 0).unsqueeze(0);
        var xy = t.narrow(1, 0, 2).sigmoid().add(grid, CachedScalars.One).mul(StrideScalar);
        var wh = t.narrow(1, 2, 2).clamp(MinLogSize, MaxLogSize).exp().mul(PriorScalar);
        var scores = t.narrow(1, 4, t.shape[1] - 4).sigmoid();
        return cat(new[] { xy, wh, scores }, 1).MoveToOuterDisposeScope();
    }

    private static HookSafeSequential Block(long inChannels, long outChannels, Device? device, long stride = 1, long dilation = 1) =>
        new(nn.Conv2d(inChannels, outChannels, 3, stride: stride, padding: dilation, dilation: dilation, device: device),
            nn.BatchNorm2d(outChannels, device: device),
            nn.ReLU());
}
