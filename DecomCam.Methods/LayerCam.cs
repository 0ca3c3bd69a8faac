using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace DecomCamNet;

/// <summary>
/// LayerCAM (Jiang et al., 2021): each position weighted by its own positive gradient, L = Σ_k ReLU(G_k) ⊙ A_k.
/// </summary>
public sealed class LayerCam : GradientWeightedCam
{
    /// <summary>LayerCAM on one target layer.</summary>
    public LayerCam(nn.Module<Tensor, Tensor> model, CamLayer layer, ILogger? logger = null) : this(model, new[] { layer }, logger) { }

    /// <summary>LayerCAM averaged over several target layers.</summary>
    public LayerCam(nn.Module<Tensor, Tensor> model, IReadOnlyList<CamLayer> layers, ILogger? logger = null) : base(model, layers, logger) { }

    /// <inheritdoc />
    public override string Name => "layercam";

    /// <inheritdoc />
    protected override Tensor Weights(Tensor activations, Tensor gradients) => nn.functional.relu(gradients);
}
