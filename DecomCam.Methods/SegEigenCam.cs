using DecomCamNet.Cam;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace DecomCamNet;

/// <summary>
/// Seg-Eigen-CAM (Chung and Ying, 2025): Eigen-CAM of the gradient-weighted activations |G| ⊙ A, the first principal
/// component of the positions × channels matrix (columns centred) projected back onto the positions. Taking |G| keeps
/// the positions that push the score either way, where Grad-CAM averages them out. The paper's sign correction flips the
/// projection when |min| &gt; |max|, which is our rule that the largest-magnitude entry is positive
/// (<see cref="Pca.LargestEntrySign"/>); they differ only on an exact tie, which pytorch-grad-cam leaves to the SVD and
/// we resolve towards the first such entry.
/// </summary>
public sealed class SegEigenCam : CamMethod
{
    /// <summary>Seg-Eigen-CAM on one target layer.</summary>
    public SegEigenCam(nn.Module<Tensor, Tensor> model, CamLayer layer, ILogger? logger = null) : this(model, new[] { layer }, logger) { }

    /// <summary>Seg-Eigen-CAM averaged over several target layers.</summary>
    public SegEigenCam(nn.Module<Tensor, Tensor> model, IReadOnlyList<CamLayer> layers, ILogger? logger = null) : base(model, layers, logger) { }

    /// <inheritdoc />
    public override string Name => "segeigencam";

    /// <inheritdoc />
    /// <remarks>Seg-Eigen-CAM's map is the first principal component of |gradients| × activations: eigen smoothing leaves it unchanged.</remarks>
    protected override LayerMapKind MapKind => LayerMapKind.PrincipalComponent;

    /// <inheritdoc />
    protected override LayerMap ComputeLayerMap(CamContext context, int layer) =>
        new(Pca.FirstComponentMaps(context.GradientsOf(layer).abs() * context.Activations[layer]));
}
