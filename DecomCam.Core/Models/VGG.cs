using static TorchSharp.torch;

namespace DecomCamNet.Models;

/// <summary>
/// torchvision's VGG with its exact module and state-dict names: <c>features</c> (numbered "0", "1", ... exactly as
/// torchvision numbers them), <c>avgpool</c> (adaptive, 7x7) and <c>classifier</c> ("0".."6": Linear, ReLU, Dropout,
/// Linear, ReLU, Dropout, Linear). ReLUs are not in-place, so a hooked convolution output keeps its value.
/// </summary>
public sealed class VGG : nn.Module<Tensor, Tensor>
{
    /// <summary>Marks a 2x2 max-pool in a configuration.</summary>
    private const int M = 0;

    private static readonly int[] ConfigA = [64, M, 128, M, 256, 256, M, 512, 512, M, 512, 512, M];
    private static readonly int[] ConfigB = [64, 64, M, 128, 128, M, 256, 256, M, 512, 512, M, 512, 512, M];
    private static readonly int[] ConfigD = [64, 64, M, 128, 128, M, 256, 256, 256, M, 512, 512, 512, M, 512, 512, 512, M];
    private static readonly int[] ConfigE =
        [64, 64, M, 128, 128, M, 256, 256, 256, 256, M, 512, 512, 512, 512, M, 512, 512, 512, 512, M];

    private readonly HookSafeSequential features;
    private readonly nn.Module<Tensor, Tensor> avgpool;
    private readonly HookSafeSequential classifier;

    /// <summary>Creates a VGG of the given depth.</summary>
    /// <param name="depth">11, 13, 16 or 19.</param>
    /// <param name="batchNorm">Whether each convolution is followed by a BatchNorm2d (the <c>_bn</c> variants).</param>
    /// <param name="numClasses">Outputs of the last classifier layer.</param>
    /// <param name="dropout">Dropout probability in the classifier (inactive in evaluation mode).</param>
    /// <param name="device">Where to allocate the parameters (default: TorchSharp's default device).</param>
    public VGG(int depth, bool batchNorm, long numClasses = 1000, double dropout = 0.5, Device? device = null)
        : base(batchNorm ? $"vgg{depth}_bn" : $"vgg{depth}")
    {
        if (numClasses < 1)
            throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "Must be positive.");
        var config = Config(depth);
        Depth = depth;
        BatchNorm = batchNorm;
        NumClasses = numClasses;

        var layers = new List<nn.Module<Tensor, Tensor>>();
        long inChannels = 3;
        foreach (var v in config)
        {
            if (v == M)
            {
                layers.Add(nn.MaxPool2d(2, stride: 2));
                continue;
            }
            layers.Add(nn.Conv2d(inChannels, v, 3, padding: 1, device: device));
            if (batchNorm)
                layers.Add(nn.BatchNorm2d(v, device: device));
            layers.Add(nn.ReLU());
            inChannels = v;
        }
        features = new HookSafeSequential(layers);
        avgpool = nn.AdaptiveAvgPool2d(7);
        classifier = new HookSafeSequential(
            nn.Linear(512 * 7 * 7, 4096, device: device),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(4096, 4096, device: device),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(4096, numClasses, device: device));
        RegisterComponents();
    }

    /// <summary>The depth: 11, 13, 16 or 19.</summary>
    public int Depth { get; }

    /// <summary>Whether the convolutions are followed by batch normalisation.</summary>
    public bool BatchNorm { get; }

    /// <summary>Outputs of the last classifier layer.</summary>
    public long NumClasses { get; }

    /// <summary>
    /// The index, inside <c>features</c>, of the last ReLU (the usual CAM target layer): 29 for VGG-16,
    /// 42 for VGG-16-BN.
    /// </summary>
    /// <param name="depth">11, 13, 16 or 19.</param>
    /// <param name="batchNorm">Whether the variant has batch normalisation.</param>
    public static int LastReluIndex(int depth, bool batchNorm)
    {
        int index = -1, lastRelu = -1;
        foreach (var v in Config(depth))
        {
            if (v == M)
            {
                index++;
                continue;
            }
            index += batchNorm ? 3 : 2;
            lastRelu = index;
        }
        return lastRelu;
    }

    private static int[] Config(int depth) => depth switch
    {
        11 => ConfigA,
        13 => ConfigB,
        16 => ConfigD,
        19 => ConfigE,
        _ => throw new ArgumentOutOfRangeException(nameof(depth), depth, "VGG depth must be 11, 13, 16 or 19."),
    };

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        var free = IntermediateRelease.For(input);
        var x = free.Chain(input, features, avgpool);
        var flat = x.flatten(1);
        free.Release(x, flat);
        return free.Then(flat, classifier);
    }
}
