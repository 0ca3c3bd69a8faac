using DecomCamNet.Cam;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace DecomCamNet;

/// <summary>
/// Eigen-Grad-CAM (pytorch-grad-cam): the first principal component of gradients × activations, G ⊙ A, as Eigen-CAM
/// takes it of A alone. Class-discriminative through G. Sign rule: the projection's largest-magnitude entry is made
/// positive (see <see cref="Pca.Project"/>); pytorch-grad-cam leaves the SVD's sign as it falls.
/// </summary>
public sealed class EigenGradCam : CamMethod
{
    /// <summary>Eigen-Grad-CAM on one target layer.</summary>
    public EigenGradCam(nn.Module<Tensor, Tensor> model, CamLayer layer, ILogger? logger = null) : this(model, new[] { layer }, logger) { }

    /// <summary>Eigen-Grad-CAM averaged over several target layers.</summary>
    public EigenGradCam(nn.Module<Tensor, Tensor> model, IReadOnlyList<CamLayer> layers, ILogger? logger = null) : base(model, layers, logger) { }

    /// <inheritdoc />
    public override string Name => "eigengradcam";

    /// <inheritdoc />
    /// <remarks>Eigen-Grad-CAM's map is the first principal component of gradients × activations: eigen smoothing leaves it unchanged.</remarks>
    protected override LayerMapKind MapKind => LayerMapKind.PrincipalComponent;

    /// <inheritdoc />
    protected override LayerMap ComputeLayerMap(CamContext context, int layer) =>
        new(Pca.FirstComponentMaps(context.GradientsOf(layer) * context.Activations[layer]));
}
