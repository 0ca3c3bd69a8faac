namespace DecomCamNet;

/// <summary>
/// A target layer's output is not a feature map [N,C,h,w] and the layer was given no <see cref="ActivationReshape"/> that
/// makes it one (a transformer's tokens, for example). The message names the layer and the shape it produced.
/// </summary>
public sealed class NotAFeatureMapException : CamException
{
    /// <summary>The exception for layer <paramref name="layer"/>, which produced <paramref name="shape"/> for a batch of <paramref name="batch"/>.</summary>
    public NotAFeatureMapException(string layer, IReadOnlyList<long> shape, long batch)
        : base($"Layer '{layer}' produced a tensor of shape [{string.Join(",", shape)}]; a CAM needs a feature map [N,C,h,w] with N = {batch}. " +
            "Choose a convolutional layer, or give the layer a reshape for transformer tokens (ActivationReshape.Vit).")
    {
        Layer = layer;
        Shape = shape;
    }

    /// <summary>The layer's dotted name.</summary>
    public string Layer { get; }

    /// <summary>The shape of the layer's output.</summary>
    public IReadOnlyList<long> Shape { get; }
}
