using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace DecomCamNet;

/// <summary>
/// HiResCAM (Draelos and Carin, 2020): gradient times activation without spatial averaging, L = Σ_k G_k ⊙ A_k.
/// </summary>
public sealed class HiResCam : GradientWeightedCam
{
    /// <summary>HiResCAM on one target layer.</summary>
    public HiResCam(nn.Module<Tensor, Tensor> model, CamLayer layer, ILogger? logger = null) : this(model, new[] { layer }, logger) { }

    /// <summary>HiResCAM averaged over several target layers.</summary>
    public HiResCam(nn.Module<Tensor, Tensor> model, IReadOnlyList<CamLayer> layers, ILogger? logger = null) : base(model, layers, logger) { }

    /// <inheritdoc />
    public override string Name => "hirescam";

    /// <inheritdoc />
    protected override Tensor Weights(Tensor activations, Tensor gradients) => gradients;
}
