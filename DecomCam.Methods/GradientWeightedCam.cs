using DecomCamNet.Cam;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace DecomCamNet;

/// <summary>
/// The gradient family's shared shape: the map is the sum over channels of a weight times the activation,
/// L = Σ_k w_k ⊙ A_k, where a method supplies only the weights from activations A and gradients G (both [M,C,h,w]).
/// Weights may be per channel [M,C] or per position [M,C,h,w].
/// </summary>
public abstract class GradientWeightedCam : CamMethod
{
    /// <summary>Binds the method to a model and its target layers.</summary>
    protected GradientWeightedCam(nn.Module<Tensor, Tensor> model, IReadOnlyList<CamLayer> layers, ILogger? logger)
        : base(model, layers, logger) { }

    /// <summary>The weights w from activations and gradients of one layer.</summary>
    protected abstract Tensor Weights(Tensor activations, Tensor gradients);

    /// <inheritdoc />
    protected sealed override LayerMap ComputeLayerMap(CamContext context, int layer)
    {
        var a = context.Activations[layer];
        return LayerMap.Weighted(Weights(a, context.GradientsOf(layer)), a);
    }
}
