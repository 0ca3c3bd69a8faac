using static TorchSharp.torch;

namespace DecomCamNet;

/// <summary>How a target layer's output is laid out, and so how it becomes the feature map <c>[N,C,h,w]</c> a CAM needs.</summary>
public enum ActivationLayout
{
    /// <summary>Already a feature map <c>[N,C,h,w]</c> (convolutional layers).</summary>
    FeatureMap,

    /// <summary>Transformer tokens, batch first <c>[N,L,D]</c> (timm and Hugging Face ViTs).</summary>
    Tokens,

    /// <summary>Transformer tokens, sequence first <c>[L,N,D]</c> (OpenAI CLIP's ViT).</summary>
    TokensSequenceFirst,

    /// <summary>A channels-last grid <c>[N,h,w,C]</c> (Swin).</summary>
    ChannelsLastGrid,
}

/// <summary>
/// Turns a target layer's output into a feature map <c>[N,C,h,w]</c>, so that every method works on vision transformers as
/// on CNNs (pytorch-grad-cam's <c>reshape_transform</c>). Token layouts drop the leading non-spatial tokens (the class
/// token; two for distilled models) and lay the rest on their grid, row-major; the grid is square unless given. The same
/// reshape is applied to the activations and to their gradients, which are taken with respect to the layer's own output.
/// </summary>
/// <remarks>For a ViT, explain a block's input norm (<c>ln_1</c>) rather than the last block's output: after the last
/// block only the class token reaches the score, so the spatial tokens' gradients there are all zero.</remarks>
public sealed record ActivationReshape(ActivationLayout Layout, int PrefixTokens = 1, int? GridHeight = null, int? GridWidth = null)
{
    /// <summary>No reshape: the layer must output <c>[N,C,h,w]</c>.</summary>
    public static ActivationReshape None { get; } = new(ActivationLayout.FeatureMap, 0);

    /// <summary>Batch-first ViT tokens <c>[N,L,D]</c> with one class token.</summary>
    public static ActivationReshape Vit { get; } = new(ActivationLayout.Tokens);

    /// <summary>Sequence-first ViT tokens <c>[L,N,D]</c> with one class token (OpenAI CLIP).</summary>
    public static ActivationReshape VitSequenceFirst { get; } = new(ActivationLayout.TokensSequenceFirst);

    /// <summary>Swin's channels-last grid <c>[N,h,w,C]</c>.</summary>
    public static ActivationReshape Swin { get; } = new(ActivationLayout.ChannelsLastGrid, 0);

    /// <summary>The reshape named <paramref name="name"/>: <c>vit</c>, <c>vit-seq-first</c>, <c>swin</c> or <c>none</c>.</summary>
    /// <exception cref="ArgumentException">Another name.</exception>
    public static ActivationReshape Parse(string name) => name.ToLowerInvariant() switch
    {
        "vit" => Vit,
        "vit-seq-first" => VitSequenceFirst,
        "swin" => Swin,
        "none" => None,
        _ => throw new ArgumentException($"Unknown reshape '{name}'; use vit, vit-seq-first, swin or none.", nameof(name)),
    };

    /// <summary>The feature map <c>[N,C,h,w]</c> of <paramref name="output"/>, the output of layer <paramref name="layer"/> for a batch of <paramref name="batch"/>.</summary>
    /// <exception cref="CamException">The output does not have this layout, or its tokens do not fill the grid
    /// (<see cref="NotAFeatureMapException"/> when no reshape was given and the output is not a feature map).</exception>
    public Tensor ToFeatureMap(Tensor output, long batch, string layer)
    {
        string shape = $"[{string.Join(",", output.shape)}]";
        switch (Layout)
        {
            case ActivationLayout.FeatureMap:
                if (output.dim() == 4 && output.shape[0] > batch && output.shape[0] % batch == 0 &&
                    layer.EndsWith("." + Models.AttentionProbabilities.ConventionalName, StringComparison.Ordinal))
                    throw new CamException($"Layer '{layer}' holds window attention, {shape} ([N·windows, heads, T, T] with N = {batch}): " +
                        "attention rollout, gradient rollout, Chefer relevance and LeGrad combine attention over all of an image's tokens " +
                        "(a ViT's), which shifted-window attention (Swin) does not give. Explain a Swin with a layer-based method on its last stage.");
                if (output.dim() != 4 || output.shape[0] != batch)
                    throw new NotAFeatureMapException(layer, output.shape, batch);
                return output;
            case ActivationLayout.ChannelsLastGrid:
                if (output.dim() != 4 || output.shape[0] != batch)
                    throw new CamException($"Layer '{layer}' produced {shape}; the swin reshape expects [N,h,w,C] with N = {batch}.");
                return output.permute(0, 3, 1, 2);
            default:
                bool sequenceFirst = Layout == ActivationLayout.TokensSequenceFirst;
                long batchAxis = sequenceFirst ? 1 : 0;
                if (output.dim() != 3 || output.shape[batchAxis] != batch)
                    throw new CamException($"Layer '{layer}' produced {shape}; the {(sequenceFirst ? "vit-seq-first" : "vit")} reshape expects tokens " +
                        $"{(sequenceFirst ? "[L,N,D]" : "[N,L,D]")} with N = {batch}." +
                        (output.dim() == 3 && output.shape[1 - batchAxis] == batch ? $" The tokens look {(sequenceFirst ? "batch-first: use vit" : "sequence-first: use vit-seq-first")}." : ""));
                var tokens = sequenceFirst ? output.permute(1, 2, 0) : output.permute(0, 2, 1); // [N,D,L]
                var (h, w) = Grid(tokens.shape[2] - PrefixTokens, layer, shape);
                return tokens.narrow(2, PrefixTokens, h * w).reshape(batch, tokens.shape[1], h, w);
        }
    }

    private (long H, long W) Grid(long spatial, string layer, string shape)
    {
        if (GridHeight is { } gh && GridWidth is { } gw)
        {
            if (gh * (long)gw != spatial)
                throw new CamException($"Layer '{layer}' has {spatial} spatial tokens ({shape} less {PrefixTokens} prefix), not the {gh}x{gw} grid given.");
            return (gh, gw);
        }
        long side = (long)Math.Round(Math.Sqrt(Math.Max(0, spatial)));
        if (spatial <= 0 || side * side != spatial)
            throw new CamException($"Layer '{layer}' has {spatial} spatial tokens ({shape} less {PrefixTokens} prefix token(s)), which is not a square grid; give the grid's height and width.");
        return (side, side);
    }
}
