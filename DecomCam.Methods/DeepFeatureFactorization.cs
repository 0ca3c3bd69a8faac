using DecomCamNet.Cam;
using DecomCamNet.Native;
using Microsoft.Extensions.Logging;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet;

/// <summary>Options of <see cref="DeepFeatureFactorization"/>.</summary>
/// <param name="Concepts">K, the number of concepts (default 5, pytorch-grad-cam's for its visualisation).</param>
/// <param name="Iterations">Multiplicative updates of the NMF (default 200, scikit-learn's maximum).</param>
/// <param name="Classifier">The final linear layer that scores the concept embeddings; null: the model's last linear layer.</param>
public sealed record DffOptions(int Concepts = 5, int Iterations = 200, CamLayer? Classifier = null);

/// <summary>
/// Deep Feature Factorization (Collins et al., 2018): the layer's activations of all rows of the call, channels ×
/// (rows·positions), are shifted per channel by their minimum and factorized by NMF into K concepts, X − offset ≈ W H
/// (<see cref="Nmf.Factorize"/>: NNDSVDa start, fixed iterations, concepts ordered by the size of their rank-one term;
/// computed in float64, deterministic). Row k of H, reshaped, is concept k's map over each image; column k of W plus
/// the offset is its embedding, which the classifier (the model's final linear layer, as for CAM) scores like a pooled
/// feature vector. The map of a row is the map of the concept that the classifier scores highest for the row's class.
/// pytorch-grad-cam starts its NMF from seeded random factors, so its concepts differ from these. Needs class targets of
/// the model's own output and a layer whose width is the classifier's input. Intermediates: <c>concept_maps</c>
/// [M,K,h,w], <c>concept_embeddings</c> [C,K], <c>concept_scores</c> [K,classes] (logits), <c>selected_concept</c> [M]
/// (long). Draw all concepts at once with <see cref="Imaging.ConceptImageWriter"/>.
/// </summary>
public sealed class DeepFeatureFactorization : CamMethod
{
    private readonly DffOptions _options;
    private readonly nn.Module _classifier;

    /// <summary>Deep Feature Factorization of one target layer.</summary>
    public DeepFeatureFactorization(nn.Module<Tensor, Tensor> model, CamLayer layer, DffOptions? options = null, ILogger? logger = null)
        : this(model, new[] { layer }, options, logger) { }

    /// <summary>Deep Feature Factorization of several target layers (each factorized on its own, maps averaged).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Concepts below 1 or negative Iterations.</exception>
    /// <exception cref="ArgumentException">The classifier is not a linear layer of the model, or the model has none.</exception>
    public DeepFeatureFactorization(nn.Module<Tensor, Tensor> model, IReadOnlyList<CamLayer> layers, DffOptions? options = null, ILogger? logger = null)
        : base(model, Checked(layers, options), logger)
    {
        _options = options ?? new DffOptions();
        try
        {
            (ClassifierName, _classifier) = ClassifierLookup.Find(model, _options.Classifier, "Deep Feature Factorization", "DffOptions.Classifier");
        }
        catch
        {
            Dispose(); // leave no hook behind
            throw;
        }
    }

    /// <inheritdoc />
    public override string Name => "dff";

    /// <summary>The dotted name of the linear layer that scores the concepts.</summary>
    public string ClassifierName { get; }

    /// <inheritdoc />
    protected override bool RequiresGradients => false;

    /// <inheritdoc />
    /// <remarks>Its maps are the NMF's concept maps, not a weighted channel sum: eigen smoothing does not apply.</remarks>
    protected override LayerMapKind MapKind => LayerMapKind.Other;

    /// <inheritdoc />
    /// <remarks>The concept maps, drawn together (<c>NAME_concepts.png</c>), with each concept's class logits.</remarks>
    protected override IReadOnlyList<IntermediateImage> IntermediateImages { get; } =
        [new("concept_maps", IntermediateDrawing.Concepts, "concepts", ClassScores: "concept_scores")];

    /// <inheritdoc />
    protected override LayerMap ComputeLayerMap(CamContext context, int layer)
    {
        var a = context.Activations[layer];
        if (!context.TargetsModelClasses)
            throw new CamException("Deep Feature Factorization picks the concept that the classifier scores highest for a class: it needs class targets of the model's own output, not a custom or head target.");
        using var weight = ClassifierLookup.Weight(_classifier)!;
        using var bias = ClassifierLookup.Bias(_classifier);
        if (weight.shape[1] != a.shape[1])
            throw new CamException($"Layer '{context.LayerNames[layer]}' has {a.shape[1]} channels but the classifier '{ClassifierName}' takes {weight.shape[1]} inputs: the concepts must be embeddings it can score.");
        long m = a.shape[0], c = a.shape[1], h = a.shape[2], w = a.shape[3];
        long k = _options.Concepts;
        if (k > Math.Min(c, m * h * w))
            throw new CamException($"Layer '{context.LayerNames[layer]}' gives a {c}x{m * h * w} matrix (channels x positions of all rows): at most {Math.Min(c, m * h * w)} concepts, not {k}.");
        var x = a.transpose(0, 1).reshape(c, -1).to_type(ScalarType.Float64);
        var offset = x.amin(new long[] { 1 }, keepdim: true);
        var (wConcepts, hMaps) = Nmf.Factorize(x - offset, _options.Concepts, _options.Iterations);
        var embeddings = wConcepts.add(offset, CachedScalars.One).to_type(a.dtype);                           // [C,K]
        var maps = hMaps.reshape(k, m, h, w).transpose(0, 1).to_type(a.dtype);            // [M,K,h,w]
        var scores = nn.functional.linear(embeddings.t(), weight.to(a.dtype), bias?.to(a.dtype));   // [K,classes]
        using var classCount = scores.shape[1].ToScalar();
        if (context.Classes!.ge(classCount).any().item<bool>())
            throw new CamException($"The classifier '{ClassifierName}' has {scores.shape[1]} outputs; a target class is beyond them.");
        var selected = scores.index_select(1, context.Classes).argmax(0);                 // [M]
        var raw = maps.gather(1, selected.view(m, 1, 1, 1).expand(m, 1, h, w)).squeeze(1);
        return new LayerMap(raw, new Dictionary<string, Tensor>
        {
            ["concept_maps"] = maps, ["concept_embeddings"] = embeddings, ["concept_scores"] = scores, ["selected_concept"] = selected,
        });
    }

    /// <summary>Validates before the base class registers hooks, so that a bad option leaves none behind.</summary>
    private static IReadOnlyList<CamLayer> Checked(IReadOnlyList<CamLayer> layers, DffOptions? options)
    {
        if (options is null) return layers;
        if (options.Concepts < 1) throw new ArgumentOutOfRangeException(nameof(options), options.Concepts, "Concepts must be at least 1.");
        if (options.Iterations < 0) throw new ArgumentOutOfRangeException(nameof(options), options.Iterations, "Iterations cannot be negative.");
        return layers;
    }
}
