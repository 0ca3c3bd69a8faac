using DecomCamNet.Detection;
using DecomCamNet.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Support;

/// <summary>
/// A small ViT-backbone detector in YOLOv8's layout: the zoo ViT's parts (<c>conv_proj</c>, <c>class_token</c>,
/// <see cref="VitEncoder"/> with its blocks <c>encoder.layers.encoder_layer_N</c> and final norm) for 64 px images in
/// patches of 8 (an 8x8 grid, 65 tokens with the class token), 3 blocks (or as given) of width 32 with 2 heads, then a per-patch-token
/// <c>head</c> Linear(32, 4+K) decoded as <see cref="SceneDet.Decode"/> does (stride 8 = the patch): output
/// <c>[N, 4+K, 64]</c>, one anchor per patch token, the class token dropped. Filled with <see cref="DeterministicInit"/>
/// (seed-free). As an <see cref="ITokenClassifier"/> it decodes any block's tokens through the final norm and the head,
/// so LeGrad scores a box on each block's own detections.
/// </summary>
internal sealed class VitDetector : nn.Module<Tensor, Tensor>, ITokenClassifier
{
    private readonly Conv2d conv_proj;
    private readonly Parameter class_token;
    private readonly VitEncoder encoder;
    private readonly Linear head;

    /// <param name="layers">Encoder blocks (3 by default).</param>
    public VitDetector(int layers = 3) : base(nameof(VitDetector))
    {
        Config = new(ImageSize: 64, PatchSize: 8, Layers: layers, Heads: 2, HiddenDim: 32, MlpDim: 64, NumClasses: 3);
        conv_proj = nn.Conv2d(3, Config.HiddenDim, Config.PatchSize, stride: Config.PatchSize);
        class_token = nn.Parameter(zeros(1, 1, Config.HiddenDim));
        encoder = new VitEncoder(Config);
        head = nn.Linear(Config.HiddenDim, 4 + Config.NumClasses);
        RegisterComponents();
        DeterministicInit.FillModule(this);
    }

    public VisionTransformerConfig Config { get; }

    public IReadOnlyList<string> TokenBlocks => Enumerable.Range(0, Config.Layers).Select(i => $"encoder.layers.encoder_layer_{i}").ToArray();

    public override Tensor forward(Tensor x)
    {
        var patches = conv_proj.call(x).flatten(2).transpose(1, 2);
        var tokens = cat(new[] { class_token.expand(x.shape[0], 1, Config.HiddenDim), patches }, 1);
        return Detect(encoder.call(tokens));
    }

    /// <summary>A block's tokens [N, T, width] through the final norm and the detection head.</summary>
    public Tensor ClassifyTokens(Tensor blockOutput) => Detect(encoder.FinalNorm(blockOutput));

    /// <summary>
    /// The detector's two best detections on <paramref name="x"/> (no threshold), each as a box target shrunk by 2.5% of
    /// its width and height on every side (IoU 0.9 with its anchor's box): a detection's own box matches its anchor at
    /// IoU 1, a kink of the IoU whose one-sided gradient rounding picks (README, "Detection").
    /// </summary>
    public (ReferenceBox[] Boxes, IReadOnlyList<DetectedBox> Detections) BestBoxes(Tensor x)
    {
        using var noGrad = no_grad();
        using var output = call(x);
        var detections = DetectionDecoder.Detect(DetectionDecoder.Decode(output), new DetectionOptions { ConfidenceThreshold = 0, MaxDetections = 2 })[0];
        return (detections.Select(d => new ReferenceBox(Shrunk(d.Box), d.ClassIndex)).ToArray(), detections);
    }

    private static BoundingBox Shrunk(BoundingBox b)
    {
        float dx = 0.025f * (b.X2 - b.X1), dy = 0.025f * (b.Y2 - b.Y1);
        return new BoundingBox(b.X1 + dx, b.Y1 + dy, b.X2 - dx, b.Y2 - dy);
    }

    /// <summary>Normed tokens [N, 1 + grid², width] to detections [N, 4+K, grid²] (the class token dropped).</summary>
    private Tensor Detect(Tensor tokens)
    {
        long n = tokens.shape[0], grid = Config.GridSize;
        var raw = head.call(tokens.narrow(1, 1, grid * grid)).transpose(1, 2).reshape(n, 4 + Config.NumClasses, grid, grid);
        return SceneDet.Decode(raw);
    }
}
