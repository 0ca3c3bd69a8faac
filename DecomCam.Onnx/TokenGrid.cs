namespace DecomCamNet.Onnx;

/// <summary>
/// Lays a transformer layer's tokens on the image's patch grid: for <c>T</c> tokens from an image of <c>H×W</c>, the
/// grid is the largest <c>(H/p)×(W/p)</c> (a whole patch size <c>p</c> dividing both sides) with at most <c>T</c>
/// cells, and the tokens left over (the class token, a distillation token, register tokens) lead the sequence.
/// </summary>
internal static class TokenGrid
{
    /// <summary>The most non-spatial tokens a sequence may lead with before the guess is refused as implausible.</summary>
    public const int MaxPrefixTokens = 16;

    /// <summary>The reshape of a batch-first token output <c>[N,T,C]</c> of an <paramref name="height"/>×<paramref name="width"/> image.</summary>
    /// <exception cref="ArgumentException">No patch grid of the image leaves between 0 and <see cref="MaxPrefixTokens"/> tokens over.</exception>
    public static ActivationReshape Infer(long tokens, long height, long width, string layer)
    {
        for (long patch = 1; patch <= Math.Min(height, width); patch++)
        {
            if (height % patch != 0 || width % patch != 0) continue;
            long h = height / patch, w = width / patch, prefix = tokens - h * w;
            if (prefix < 0) continue;
            if (prefix > MaxPrefixTokens) break;
            return new ActivationReshape(ActivationLayout.Tokens, (int)prefix, (int)h, (int)w);
        }
        throw new ArgumentException($"Layer '{layer}' outputs {tokens} tokens, which no patch grid of the {height}x{width} input "
            + $"fills with at most {MaxPrefixTokens} leading class or register tokens; give the reshape.", nameof(layer));
    }
}
