using DecomCamNet.Cam;
using DecomCamNet.Native;
using Microsoft.Extensions.Logging;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet;

/// <summary>Options of <see cref="FinerCam"/>; defaults are pytorch-grad-cam's.</summary>
/// <param name="Comparisons">n, how many of the most similar classes the target is contrasted with (default 3).</param>
/// <param name="Alpha">α, the strength of the contrast (default 1; 0 gives Grad-CAM's map).</param>
public sealed record FinerCamOptions(int Comparisons = 3, double Alpha = 1);

/// <summary>
/// Finer-CAM (Zhang et al., 2025): Grad-CAM of a contrast between the target class c and the n classes whose logits are
/// closest to its own (smallest |y_j − y_c|, lowest index first on ties, c itself excluded), so that the map shows what
/// tells c apart from the classes it is most easily confused with. The differentiated score is
/// S = Σ_j p_j (y_c − α·y_j) / (Σ_j p_j + 1e-9), p = softmax(y), the gradient flowing through p as well; the weights
/// are its spatial mean gradients, L = Σ_k w_k A_k. It needs class targets of the model's own output.
/// Intermediate: <c>comparison_classes</c> [M,n] (long), nearest first.
/// </summary>
public sealed class FinerCam : CamMethod
{
    private static readonly Scalar WeightEpsilon = 1e-9.ToScalar();
    private static readonly Scalar PositiveInfinity = double.PositiveInfinity.ToScalar();

    private readonly FinerCamOptions _options;

    /// <summary>Finer-CAM on one target layer.</summary>
    public FinerCam(nn.Module<Tensor, Tensor> model, CamLayer layer, FinerCamOptions? options = null, ILogger? logger = null)
        : this(model, new[] { layer }, options, logger) { }

    /// <summary>Finer-CAM averaged over several target layers.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Comparisons below 1 or a non-finite Alpha.</exception>
    public FinerCam(nn.Module<Tensor, Tensor> model, IReadOnlyList<CamLayer> layers, FinerCamOptions? options = null, ILogger? logger = null)
        : base(model, Checked(layers, options), logger) => _options = options ?? new FinerCamOptions();

    /// <inheritdoc />
    public override string Name => "finercam";

    /// <inheritdoc />
    protected override Tensor Objective(Tensor output, Tensor scores, Tensor? modelClasses)
    {
        if (modelClasses is null)
            throw new CamException("Finer-CAM contrasts a class with the model's similar classes: it needs class targets of the model's own output, not a custom or head target.");
        var similar = SimilarClasses(output, modelClasses);
        var p = output.softmax(1).gather(1, similar);
        using var alpha = _options.Alpha.ToScalar();
        var contrast = scores.unsqueeze(1) - output.gather(1, similar).mul(alpha);
        return (p * contrast).sum(1) / p.sum(1).add(WeightEpsilon, CachedScalars.One);
    }

    /// <inheritdoc />
    protected override LayerMap ComputeLayerMap(CamContext context, int layer)
    {
        var a = context.Activations[layer];
        var weights = context.GradientsOf(layer).mean(new long[] { 2, 3 });
        var similar = SimilarClasses(context.Output, context.Classes!);
        return LayerMap.Weighted(weights, a, new Dictionary<string, Tensor> { ["comparison_classes"] = similar });
    }

    /// <summary>The n classes [M,n] whose logits are nearest each row's target logit, nearest first, the target excluded.</summary>
    private Tensor SimilarClasses(Tensor output, Tensor classes)
    {
        if (output.shape[1] <= _options.Comparisons)
            throw new CamException($"Finer-CAM compares with {_options.Comparisons} other classes but the model has {output.shape[1]} outputs.");
        using var noGrad = no_grad();
        var y = output.detach();
        var distance = (y - y.gather(1, classes.unsqueeze(1))).abs();
        distance.scatter_(1, classes.unsqueeze(1), full_like(distance, PositiveInfinity));
        var (_, order) = distance.sort(1, descending: false, stable: true);
        return order.narrow(1, 0, _options.Comparisons);
    }

    /// <summary>Validates before the base class registers hooks, so that a bad option leaves none behind.</summary>
    private static IReadOnlyList<CamLayer> Checked(IReadOnlyList<CamLayer> layers, FinerCamOptions? options)
    {
        if (options is null) return layers;
        if (options.Comparisons < 1) throw new ArgumentOutOfRangeException(nameof(options), options.Comparisons, "Comparisons must be at least 1.");
        if (!double.IsFinite(options.Alpha)) throw new ArgumentOutOfRangeException(nameof(options), options.Alpha, "Alpha must be finite.");
        return layers;
    }
}
