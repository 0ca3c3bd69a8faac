using TorchSharp;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace DecomCamNet;

/// <summary>
/// ShapleyCAM (Cai, 2025): Grad-CAM's weights corrected by a second-order term from reading CAMs as Shapley values,
/// w_k = mean_{h,w} (G − ½ H·A)_k, where H·A is the Hessian of the score with respect to the activations times the
/// activations (a Hessian-vector product, taken by differentiating G, built with <c>create_graph</c>, once more);
/// L = Σ_k w_k A_k. Where the score is piecewise linear in A (ReLU, max-pooling and linear layers up to a logit) H·A is
/// zero and the map is Grad-CAM's; a softmax target or smooth activations make it differ. Per layer one forward and a
/// double backward of its own (the pipeline's pass only records the activations). Intermediate: <c>weights</c> [M,C].
/// Every operation between the layer and the score needs a double backward: libtorch's error for one that has none
/// (its CPU <c>scaled_dot_product_attention</c>) ends the process inside TorchSharp's <c>autograd.grad</c>, so models
/// with an <see cref="IFirstOrderOnly"/> layer (CLIP's attention) are refused up front.
/// </summary>
public sealed class ShapleyCam : CamMethod
{
    private static readonly Scalar Half = 0.5.ToScalar();

    private readonly IReadOnlyList<CamLayer> _layers;

    /// <summary>ShapleyCAM on one target layer.</summary>
    public ShapleyCam(nn.Module<Tensor, Tensor> model, CamLayer layer, ILogger? logger = null) : this(model, new[] { layer }, logger) { }

    /// <summary>ShapleyCAM averaged over several target layers.</summary>
    /// <exception cref="ArgumentException">The model has a layer without a double backward (<see cref="IFirstOrderOnly"/>, e.g. CLIP's attention).</exception>
    public ShapleyCam(nn.Module<Tensor, Tensor> model, IReadOnlyList<CamLayer> layers, ILogger? logger = null)
        : base(SecondOrderModel(model), layers, logger) => _layers = layers.ToArray();

    private static nn.Module<Tensor, Tensor> SecondOrderModel(nn.Module<Tensor, Tensor> model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var firstOrder = model.named_modules().FirstOrDefault(m => m.module is IFirstOrderOnly);
        return firstOrder.module is null ? model
            : throw new ArgumentException($"ShapleyCAM differentiates the gradient once more, and layer '{firstOrder.name}' " +
                $"({firstOrder.module.GetType().Name}) has no double backward (scaled_dot_product_attention); use Grad-CAM or another method.", nameof(model));
    }

    /// <inheritdoc />
    public override string Name => "shapleycam";

    /// <inheritdoc />
    protected override bool RequiresGradients => false;

    /// <inheritdoc />
    protected override LayerMap ComputeLayerMap(CamContext context, int layer)
    {
        using var recorder = new ActivationRecorder(context.Model, new[] { _layers[layer] });
        using var grad = enable_grad();
        var x = context.Input.detach().requires_grad_(true);
        recorder.Start();
        Tensor output;
        try { output = context.Model.call(x); }
        finally { recorder.Stop(); }
        var a = recorder.CollectOutputs()[0];
        Tensor g, hessianTimesA;
        using (LibTorchBackends.SafeBackward())
        {
            g = autograd.grad(new[] { context.TargetScores(output).sum() }, new[] { a }, retain_graph: true, create_graph: true, allow_unused: true)[0];
            if (g is null || g.IsInvalid)
                throw new CamException($"The target score does not depend on layer '{context.LayerNames[layer]}' (no gradient): choose a layer that feeds the output.");
            hessianTimesA = HessianTimes(g, a);
        }
        var (activations, gradients, hvp) = (context.Activations[layer], Maps(recorder, g, x), Maps(recorder, hessianTimesA, x));
        var weights = (gradients - hvp.mul(Half)).mean(new long[] { 2, 3 });
        return new LayerMap(context.WeightedSum(weights, activations), new Dictionary<string, Tensor> { ["weights"] = weights });
    }

    /// <summary>
    /// H·A, the gradient of Σ G·A with A held constant in the product (H is symmetric). The zero term 0·ΣA keeps A in
    /// the graph, so the gradient is zero rather than undefined where G does not depend on A (and TorchSharp leaves no
    /// handle of an undefined tensor behind).
    /// </summary>
    private static Tensor HessianTimes(Tensor g, Tensor a) =>
        autograd.grad(new[] { (g * a.detach()).sum().add(a.mul(CachedScalars.Zero).sum(), CachedScalars.One) }, new[] { a })[0];

    private static Tensor Maps(ActivationRecorder recorder, Tensor t, Tensor x) => recorder.ToFeatureMaps(new[] { t.detach() }, x.shape[0])[0];
}
