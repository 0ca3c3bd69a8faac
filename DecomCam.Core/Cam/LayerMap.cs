using static TorchSharp.torch;

namespace DecomCamNet.Cam;

/// <summary>
/// What a method computes for one layer, and optional named intermediates that the result exposes. A method whose map
/// is a weighted channel sum (<see cref="LayerMapKind.WeightedChannels"/>) returns its weighted channels w_k ⊙ A_k
/// [M,C,h,w] (<see cref="Weighted"/>, <see cref="OfChannels"/>), which the template reduces: their sum over channels, or
/// with <see cref="CamMethod.EigenSmooth"/> their first principal component. Any other method returns its raw map [M,h,w]
/// (<see cref="LayerMap(Tensor, IReadOnlyDictionary{string, Tensor})"/>). Raw maps are taken before ReLU, normalisation
/// and resizing (any spatial size; they are resized to the input).
/// </summary>
public sealed class LayerMap
{
    /// <summary>A raw map [M,h,w], for a method whose map is not a weighted channel sum.</summary>
    public LayerMap(Tensor raw, IReadOnlyDictionary<string, Tensor>? intermediates = null)
        : this(raw ?? throw new ArgumentNullException(nameof(raw)), null, intermediates) { }

    private LayerMap(Tensor? raw, Tensor? weightedChannels, IReadOnlyDictionary<string, Tensor>? intermediates)
    {
        Raw = raw;
        WeightedChannels = weightedChannels;
        Intermediates = intermediates;
    }

    /// <summary>
    /// The per-channel terms [M,C,h,w] of a weighted channel sum (the template reduces them over dimension 1).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="weightedChannels"/> is not [M,C,h,w].</exception>
    public static LayerMap OfChannels(Tensor weightedChannels, IReadOnlyDictionary<string, Tensor>? intermediates = null)
    {
        ArgumentNullException.ThrowIfNull(weightedChannels);
        if (weightedChannels.dim() != 4)
            throw new ArgumentException($"Weighted channels are [M,C,h,w]; got [{string.Join(",", weightedChannels.shape)}].", nameof(weightedChannels));
        return new LayerMap(null, weightedChannels, intermediates);
    }

    /// <summary>
    /// The weighted channels w_k ⊙ A_k of weights [M,C] (per channel) or [M,C,h,w] (per position) and activations
    /// <paramref name="activations"/> [M,C,h,w] (see <see cref="OfChannels"/>).
    /// </summary>
    public static LayerMap Weighted(Tensor weights, Tensor activations, IReadOnlyDictionary<string, Tensor>? intermediates = null)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(activations);
        return OfChannels((weights.dim() == 2 ? weights.unsqueeze(-1).unsqueeze(-1) : weights) * activations, intermediates);
    }

    /// <summary>The raw map [M,h,w]; null for a map given as weighted channels.</summary>
    public Tensor? Raw { get; }

    /// <summary>The weighted channels [M,C,h,w] that the template reduces to the raw map; null for a map given raw.</summary>
    public Tensor? WeightedChannels { get; }

    /// <summary>Named intermediates, exposed per layer in <see cref="CamResult.Intermediates"/>; may be null.</summary>
    public IReadOnlyDictionary<string, Tensor>? Intermediates { get; }
}
