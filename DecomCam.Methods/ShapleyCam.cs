using DecomCamNet.Cam;
using DecomCamNet.Native;
using Microsoft.Extensions.Logging;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet;

/// <summary>
/// ShapleyCAM (Cai, 2025): Grad-CAM's weights corrected by a second-order term from reading CAMs as Shapley values,
/// w_k = mean_{h,w} (G − ½ H·A)_k, where H·A is the Hessian of the score with respect to the activations times the
/// activations (a Hessian-vector product, taken by differentiating G, built with <c>create_graph</c>, once more);
/// L = Σ_k w_k A_k. Where the score is piecewise linear in A (ReLU, max-pooling and linear layers up to a logit) H·A is
/// zero and the map is Grad-CAM's; a softmax target or smooth activations make it differ. Per layer one forward and a
/// double backward of its own (the pipeline's pass only records the activations). Intermediate: <c>weights</c> [M,C].
/// </summary>
/// <remarks>
/// Every operation between the layer and the score needs a double backward, and some have none (libtorch's CPU
/// <c>scaled_dot_product_attention</c>, used by many users' transformers; CLIP's image attention is computed explicitly
/// and has one). The second backward
/// runs through <see cref="CaughtGradient"/>, so such a model is found without ending the process, and H·A is then
/// taken by central finite differences of first-order gradients along A itself:
/// H·A = d/dt G(tA) at t = 1 ≈ (G(A(1+ε)) − G(A(1−ε))) / 2ε, ε = <see cref="FiniteDifferenceStep"/>, with two more
/// forwards (the layer's output replaced by the scaled one) and backwards per layer. The switch is logged once per
/// instance. The difference from the exact product is O(ε²) plus float32 rounding of G magnified by 1/2ε, and a ReLU
/// after the layer whose input changes sign within ±ε·A adds a jump; half of it enters the weights.
/// </remarks>
public sealed class ShapleyCam : CamMethod
{
    /// <summary>The relative step ε of the finite-difference route (see the remarks).</summary>
    public const double FiniteDifferenceStep = 1e-2;

    private static readonly Scalar MinusHalf = (-0.5).ToScalar();
    private static readonly Scalar MinusOne = (-1).ToScalar();
    private static readonly Scalar Up = (1 + FiniteDifferenceStep).ToScalar();
    private static readonly Scalar Down = (1 - FiniteDifferenceStep).ToScalar();
    private static readonly Scalar OverTwoSteps = (1 / (2 * FiniteDifferenceStep)).ToScalar();

    private bool _toldFiniteDifferences;

    /// <summary>ShapleyCAM on one target layer.</summary>
    public ShapleyCam(nn.Module<Tensor, Tensor> model, CamLayer layer, ILogger? logger = null) : this(model, new[] { layer }, logger) { }

    /// <summary>ShapleyCAM averaged over several target layers.</summary>
    public ShapleyCam(nn.Module<Tensor, Tensor> model, IReadOnlyList<CamLayer> layers, ILogger? logger = null)
        : base(model, layers, logger) { }

    /// <inheritdoc />
    public override string Name => "shapleycam";

    /// <inheritdoc />
    protected override bool GradientsInOwnPasses => true;

    /// <inheritdoc />
    protected override LayerMap ComputeLayerMap(CamContext context, int layer)
    {
        using var grad = enable_grad();
        var pass = ForwardRecorded(context, context.Input);
        var a = pass.LayerOutputs[layer];
        var g = LayerGradient(pass, layer, createGraph: true);
        Tensor hessianTimesA;
        using (LibTorchBackends.SafeBackward())
            hessianTimesA = CaughtGradient.TryTake(GradientDotA(g, a), a, out var error)
                ?? FiniteDifferenceHessianTimes(context, layer, error!);
        var (activations, gradients, hvp) = (context.Activations[layer], AsFeatureMap(layer, g, context.Rows), AsFeatureMap(layer, hessianTimesA, context.Rows));
        var weights = gradients.add(hvp, MinusHalf).mean(new long[] { 2, 3 });
        return LayerMap.Weighted(weights, activations, new Dictionary<string, Tensor> { ["weights"] = weights });
    }

    /// <summary>
    /// Σ G·A with A held constant in the product, whose gradient is H·A (H is symmetric). The zero term 0·ΣA keeps A in
    /// the graph, so the gradient is zero rather than undefined where G does not depend on A.
    /// </summary>
    private static Tensor GradientDotA(Tensor g, Tensor a) =>
        g.mul(a.detach()).sum().add(a.mul(CachedScalars.Zero).sum(), CachedScalars.One);

    private Tensor FiniteDifferenceHessianTimes(CamContext context, int layer, string error)
    {
        if (!_toldFiniteDifferences)
        {
            _toldFiniteDifferences = true;
            Logger.LogWarning("ShapleyCAM: the model has no double backward between layer '{Layer}' and the score ({Error}); " +
                "H·A is taken by central finite differences of first-order gradients (relative step {Step}) instead.",
                context.LayerNames[layer], error, FiniteDifferenceStep);
        }
        var up = GradientAtScaledLayer(context, layer, Up);
        var down = GradientAtScaledLayer(context, layer, Down);
        return up.add(down, MinusOne).mul(OverTwoSteps);
    }

    /// <summary>G(sA): the gradient of the target score with respect to the layer's output when that output is multiplied by <paramref name="scale"/>.</summary>
    private Tensor GradientAtScaledLayer(CamContext context, int layer, Scalar scale)
    {
        var pass = ForwardRecorded(context, context.Input, (l, output) => l == layer ? output.mul(scale) : null);
        return LayerGradient(pass, layer);
    }
}
