namespace DecomCamNet.Cam;

/// <summary>
/// What a method's layer map is (<c>CamMethod.MapKind</c>), which decides what the template does with the
/// <see cref="LayerMap"/> the method returns and whether <see cref="CamMethod.EigenSmooth"/> applies.
/// </summary>
public enum LayerMapKind
{
    /// <summary>
    /// A weighted channel sum Σ_k w_k ⊙ A_k: the method returns its weighted channels (<see cref="LayerMap.Weighted"/>,
    /// <see cref="LayerMap.OfChannels"/>) and the template sums them, or with eigen smoothing takes their first principal
    /// component.
    /// </summary>
    WeightedChannels,

    /// <summary>
    /// Already a first principal component (Eigen-CAM, Eigen-Grad-CAM, KPCA-CAM): the method returns its raw map and eigen
    /// smoothing leaves it unchanged, as in pytorch-grad-cam.
    /// </summary>
    PrincipalComponent,

    /// <summary>Built otherwise: the method returns its raw map, and eigen smoothing does not apply (setting it throws).</summary>
    Other,
}
