namespace DecomCamNet.Onnx;

/// <summary>
/// Lays a transformer layer's tokens on the image's patch grid: for <c>T</c> tokens from an image of <c>H×W</c>, the
/// grid is the largest <c>(H/p)×(W/p)</c> (a whole patch size <c>p</c> dividing both sides) with at most <c>T</c>
/// cells, and the tokens left over (the class token, a distillation token, register tokens) lead the sequence. A 4-D
/// output is channels-last <c>[N,h,w,C]</c> (Swin) when its axes 1 and 2, not 2 and 3, are a patch grid of the image.
/// </summary>
internal static class TokenGrid
{
    /// <summary>The reshape of an output of shape <paramref name="output"/> for an <paramref name="height"/>×<paramref name="width"/> image.</summary>
    /// <exception cref="ArgumentException">A token output that no patch grid fits.</exception>
    public static ActivationReshape Infer(long[] output, long height, long width, string layer) => output.Length switch
    {
        3 => Infer(output[1], height, width, layer),
        4 when !IsGrid(output[2], output[3], height, width) && IsGrid(output[1], output[2], height, width) => ActivationReshape.Swin,
        _ => ActivationReshape.None,
    };

    /// <summary>Whether an <paramref name="h"/>×<paramref name="w"/> grid has one whole patch size on both sides of the image.</summary>
    private static bool IsGrid(long h, long w, long height, long width) =>
        h > 0 && w > 0 && height % h == 0 && width % w == 0 && height / h == width / w;

    /// <summary>The most non-spatial tokens a sequence may lead with before the guess is refused as implausible.</summary>
    public const int MaxPrefixTokens = 16;

    /// <summary>The reshape of a batch-first token output <c>[N,T,C]</c> of an <paramref name="height"/>×<paramref name="width"/> image.</summary>
    /// <exception cref="ArgumentException">No patch grid of the image leaves between 0 and <see cref="MaxPrefixTokens"/> tokens over.</exception>
    public static ActivationReshape Infer(long tokens, long height, long width, string layer) =>
        TryInfer(tokens, height, width)
        ?? throw new ArgumentException($"Layer '{layer}' outputs {tokens} tokens, which no patch grid of the {height}x{width} input "
            + $"fills with at most {MaxPrefixTokens} leading class or register tokens; give the reshape.", nameof(layer));

    /// <summary>The reshape of <paramref name="tokens"/> batch-first tokens of an <paramref name="height"/>×<paramref name="width"/> image, or null when no patch grid fits them.</summary>
    public static ActivationReshape? TryInfer(long tokens, long height, long width)
    {
        for (long patch = 1; patch <= Math.Min(height, width); patch++)
        {
            if (height % patch != 0 || width % patch != 0) continue;
            long h = height / patch, w = width / patch, prefix = tokens - h * w;
            if (prefix < 0) continue;
            if (prefix > MaxPrefixTokens) break;
            return new ActivationReshape(ActivationLayout.Tokens, (int)prefix, (int)h, (int)w);
        }
        return null;
    }

    /// <summary>
    /// The feature map <c>[N,C,h,w]</c> that <paramref name="reshape"/> (as <see cref="Infer(long[], long, long, string)"/>
    /// infers it) makes of an output of shape <paramref name="output"/>.
    /// </summary>
    public static long[] FeatureMapShape(long[] output, ActivationReshape reshape) => reshape.Layout switch
    {
        ActivationLayout.Tokens => [output[0], output[2], reshape.GridHeight!.Value, reshape.GridWidth!.Value],
        ActivationLayout.ChannelsLastGrid => [output[0], output[3], output[1], output[2]],
        _ => output,
    };
}
