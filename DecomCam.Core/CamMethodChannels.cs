using DecomCamNet.Cam;

using static TorchSharp.torch;

namespace DecomCamNet;

/// <summary>
/// The template's channel reduction: a method returns its weighted channels and the template turns them into the raw
/// map (sum, or first principal component under <see cref="EigenSmooth"/>), so no method applies or forgets eigen smoothing.
/// </summary>
public abstract partial class CamMethod
{
    /// <summary>
    /// What the method's layer map is: <see cref="LayerMapKind.WeightedChannels"/> (the default; <see cref="ComputeLayerMap"/>
    /// returns <see cref="LayerMap.Weighted"/> or <see cref="LayerMap.OfChannels"/>), <see cref="LayerMapKind.PrincipalComponent"/>
    /// or <see cref="LayerMapKind.Other"/> (both return a raw map; eigen smoothing does not apply to the latter).
    /// </summary>
    protected virtual LayerMapKind MapKind => LayerMapKind.WeightedChannels;

    /// <summary>
    /// Intermediates that derive from layer <paramref name="layer"/>'s raw map <paramref name="raw"/> once the template
    /// has reduced the weighted channels (Guided Grad-CAM's upsampled Grad-CAM map). Default: none.
    /// </summary>
    protected virtual IReadOnlyDictionary<string, Tensor>? RawMapIntermediates(CamContext context, int layer, Tensor raw) => null;

    private bool SupportsEigenSmooth => MapKind != LayerMapKind.Other;

    private NotSupportedException EigenSmoothNotSupported() =>
        new($"Eigen smoothing does not apply to {Name}: its map is not a weighted sum of a layer's channels.");

    /// <summary>
    /// Layer <paramref name="layer"/>'s raw map [M,h,w] from what <see cref="ComputeLayerMap"/> returned: weighted channels
    /// [M,C,h,w] summed over the channels, or with <see cref="EigenSmooth"/> their first principal component (pytorch-grad-cam's
    /// eigen smoothing: positions as observations, channels as variables, columns centred) with the sign rule of
    /// <see cref="Pca.Project"/> (the largest-magnitude entry made positive; pytorch-grad-cam keeps the sign its SVD returns).
    /// </summary>
    /// <exception cref="InvalidOperationException">The map's form does not match <see cref="MapKind"/>.</exception>
    private Tensor RawMap(LayerMap map, int layer)
    {
        ArgumentNullException.ThrowIfNull(map);
        if (MapKind == LayerMapKind.WeightedChannels)
        {
            var weighted = map.WeightedChannels ?? throw new InvalidOperationException(
                $"{Name} computed a raw map for layer '{LayerNames[layer]}', but its MapKind is WeightedChannels: return LayerMap.Weighted " +
                "or LayerMap.OfChannels so the template can sum (or eigen-smooth) the channels, or declare another MapKind.");
            return EigenSmooth ? Pca.FirstComponentMaps(weighted) : weighted.sum(1);
        }
        return map.Raw ?? throw new InvalidOperationException(
            $"{Name} returned weighted channels for layer '{LayerNames[layer]}', but its MapKind is {MapKind}: return the raw map, or declare WeightedChannels.");
    }
}
