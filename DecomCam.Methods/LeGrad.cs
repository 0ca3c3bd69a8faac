using DecomCamNet.Cam;
using DecomCamNet.Models;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace DecomCamNet;

/// <summary>
/// LeGrad (Bousselham, Boggust, Chaybouti, Strobelt and Kuehne, 2024, "LeGrad: An Explainability Method for Vision
/// Transformers via Feature Formation Sensitivity"): each block l is explained by the target scored on its own tokens,
/// s_l = target(head(norm(z_l[class token]))) (the model's final norm and head applied to block l's output z_l:
/// <see cref="ITokenClassifier"/>, or the names in <see cref="LeGradOptions"/>; a detector whose head reads the patch
/// tokens implements <see cref="ITokenClassifier"/> to decode them instead, and a box target scores that output),
/// through the gradient with respect to that block's attention probabilities A_l: E_l = mean over heads and queries of
/// ReLU(∂s_l/∂A_l), the prefix keys dropped, on the patch grid; the map is the mean of E_l over the blocks (ReLU,
/// min-max, bilinear resize). <see cref="CamResult.RawMaps"/> holds E_l per attention layer. One forward and one
/// backward per block. Only <see cref="RolloutOptions.PrefixTokens"/> and the grid of the token options apply. Our reference
/// (reference/attention_reference.py) is written from the paper: torch-cam's LeGrad needs PyTorch 2.
/// Needs a model whose attention follows the <see cref="AttentionProbabilities"/> convention.
/// </summary>
public sealed class LeGrad : CamMethod
{
    private readonly ITokenClassifier _classifier;
    private readonly CamLayer[] _blocks;
    private readonly RolloutOptions _tokens;
    private IReadOnlyList<Tensor>? _maps;

    /// <summary>LeGrad over every attention layer of <paramref name="model"/>; <paramref name="ignoredLayers"/> are logged and not used.</summary>
    /// <exception cref="ArgumentException">The model exposes no attention probabilities, or neither implements
    /// <see cref="ITokenClassifier"/> nor is given its final norm and head by name (or a name is not in it).</exception>
    /// <exception cref="ArgumentOutOfRangeException">A token option is out of range.</exception>
    public LeGrad(nn.Module<Tensor, Tensor> model, LeGradOptions? options = null, RolloutOptions? tokens = null,
        IReadOnlyList<CamLayer>? ignoredLayers = null, ILogger? logger = null)
        : this(model, Classifier(model, options ?? new LeGradOptions(), tokens ?? new RolloutOptions()), tokens ?? new RolloutOptions(), ignoredLayers, logger)
    {
    }

    private LeGrad(nn.Module<Tensor, Tensor> model, (ITokenClassifier Classifier, CamLayer[] Layers) found, RolloutOptions tokens,
        IReadOnlyList<CamLayer>? ignoredLayers, ILogger? logger)
        : base(model, found.Layers, logger)
    {
        _classifier = found.Classifier;
        _blocks = found.Classifier.TokenBlocks.Select(b => (CamLayer)b).ToArray();
        _tokens = tokens;
        if (ignoredLayers is { Count: > 0 })
            Logger.LogInformation("legrad reads all {Count} attention layers; the target layer(s) {Layers} are ignored.",
                LayerNames.Count, string.Join(", ", ignoredLayers));
    }

    /// <inheritdoc />
    public override string Name => "legrad";

    /// <inheritdoc />
    /// <remarks>The map is a token relevance, not a weighted channel sum: eigen smoothing does not apply.</remarks>
    protected override LayerMapKind MapKind => LayerMapKind.Other;

    /// <inheritdoc />
    protected override bool GradientsInOwnPasses => true;

    /// <inheritdoc />
    protected override LayerMap ComputeLayerMap(CamContext context, int layer)
    {
        ArgumentNullException.ThrowIfNull(context);
        // The template computes the layers in order within a call: the first computes every block's map from one
        // forward, the last lets go of them.
        if (layer == 0) _maps = BlockMaps(context);
        var map = _maps![layer];
        if (layer == LayerNames.Count - 1) _maps = null;
        return new LayerMap(map);
    }

    /// <inheritdoc />
    protected override Tensor Combine(CamContext context, IReadOnlyList<Tensor> raws) =>
        CamKernels.Resize(CamKernels.ReluNormalize(stack(raws, 0).mean(new long[] { 0 })), context.Height, context.Width);

    /// <summary>E_l for every block, from one recorded forward and one gradient per block.</summary>
    private Tensor[] BlockMaps(CamContext context)
    {
        using var blocks = new ActivationRecorder(Model, _blocks);
        RecordedPass pass;
        blocks.Start();
        try { pass = ForwardRecorded(context, context.Input); }
        finally { blocks.Stop(); }
        var tokens = blocks.CollectOutputs();
        var maps = new Tensor[LayerNames.Count];
        using var mode = enable_grad();
        for (int l = 0; l < maps.Length; l++)
        {
            var score = context.TargetScores(BlockOutput(context, tokens[l]));
            var keys = nn.functional.relu(LayerGradientOf(score, pass, l)).mean(new long[] { 1, 2 }); // [M, T]
            maps[l] = AttentionFlow.TokenMap(keys, _tokens, LayerNames[l]);
        }
        return maps;
    }

    /// <summary>Block <paramref name="tokens"/> scored as the model's output, checked to have that output's shape.</summary>
    /// <exception cref="CamException">The classifier's output is not shaped as the model's (a named head that scores the
    /// class token of a detector whose head reads the patch tokens, for example).</exception>
    private Tensor BlockOutput(CamContext context, Tensor tokens)
    {
        var output = _classifier.ClassifyTokens(tokens);
        if (!output.shape.SequenceEqual(context.Output.shape))
            throw new CamException($"LeGrad scores each block's tokens as the model's output, but they give [{string.Join(",", output.shape)}] " +
                $"where the model returns [{string.Join(",", context.Output.shape)}]: a final norm and head given by name score the class token, " +
                $"as a classifier does. A model whose head reads other tokens (a detector on the patch tokens) must implement " +
                $"{nameof(ITokenClassifier)} to map a block's tokens to its output.");
        return output;
    }

    private static (ITokenClassifier, CamLayer[]) Classifier(nn.Module model, LeGradOptions options, RolloutOptions tokens)
    {
        var layers = AttentionRelevanceCam.AttentionCamLayers(model, tokens);
        var names = layers.Select(l => l.Name!).ToArray();
        ITokenClassifier classifier = options.FinalNorm is not null || options.Head is not null
            ? new NamedTokenClassifier(model, options, names)
            : model as ITokenClassifier ?? throw new ArgumentException(
                $"LeGrad scores each block's class token through the model's final norm and head: give their names " +
                $"({nameof(LeGradOptions)}) or let the model ({model.GetType().Name}) implement {nameof(ITokenClassifier)}.", nameof(model));
        if (classifier.TokenBlocks.Count != layers.Length)
            throw new ArgumentException($"LeGrad needs one block per attention layer: {classifier.TokenBlocks.Count} blocks for {layers.Length} attention layers.", nameof(model));
        return (classifier, layers);
    }
}
