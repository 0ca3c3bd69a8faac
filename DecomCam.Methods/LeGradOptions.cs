namespace DecomCamNet;

/// <summary>
/// How <see cref="LeGrad"/> scores an intermediate block's tokens, for a model that does not implement
/// <see cref="Models.ITokenClassifier"/>: the dotted names of its final norm and head (a batch-first ViT whose head reads
/// the class token, e.g. torchvision's <c>encoder.ln</c> and <c>heads.head</c>). The block of each attention layer is the
/// module two levels above its <c>attn_probs</c> (<c>blocks.3.attn.attn_probs</c> → <c>blocks.3</c>) unless
/// <paramref name="Blocks"/> names them.
/// </summary>
/// <param name="FinalNorm">The final norm's dotted name; null: the model must implement <see cref="Models.ITokenClassifier"/>.</param>
/// <param name="Head">The classifier head's dotted name (given with <paramref name="FinalNorm"/>).</param>
/// <param name="Blocks">The blocks whose outputs are the token streams, one per attention layer; null: inferred.</param>
public sealed record LeGradOptions(string? FinalNorm = null, string? Head = null, IReadOnlyList<string>? Blocks = null);
