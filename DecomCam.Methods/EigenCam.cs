using DecomCamNet.Cam;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace DecomCamNet;

/// <summary>
/// Eigen-CAM (Muhammad and Yeasin, 2020): the first principal component of the activations (positions as observations,
/// channels as variables, columns centred), projected back onto the positions. Class-agnostic: the target only selects
/// what the result reports as score. Sign rule: the projection's largest-magnitude entry is made positive
/// (see <see cref="Pca.Project"/>), so the map does not flip between runs or devices.
/// </summary>
public sealed class EigenCam : CamMethod
{
    /// <summary>Eigen-CAM on one target layer.</summary>
    public EigenCam(nn.Module<Tensor, Tensor> model, CamLayer layer, ILogger? logger = null) : this(model, new[] { layer }, logger) { }

    /// <summary>Eigen-CAM averaged over several target layers.</summary>
    public EigenCam(nn.Module<Tensor, Tensor> model, IReadOnlyList<CamLayer> layers, ILogger? logger = null) : base(model, layers, logger) { }

    /// <inheritdoc />
    public override string Name => "eigencam";

    /// <inheritdoc />
    protected override bool RequiresGradients => false;

    /// <inheritdoc />
    /// <remarks>Eigen-CAM's map is the first principal component of the activations: eigen smoothing leaves it unchanged.</remarks>
    protected override LayerMapKind MapKind => LayerMapKind.PrincipalComponent;

    /// <inheritdoc />
    protected override LayerMap ComputeLayerMap(CamContext context, int layer) =>
        new(Pca.FirstComponentMaps(context.Activations[layer]));
}
