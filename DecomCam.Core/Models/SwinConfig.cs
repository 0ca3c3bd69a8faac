namespace DecomCamNet.Models;

/// <summary>
/// The hyperparameters of a <see cref="SwinTransformer"/>, named as torchvision's <c>SwinTransformer</c> names them
/// (square patches and windows).
/// </summary>
/// <param name="PatchSize">Side of the square patches of the embedding convolution.</param>
/// <param name="EmbedDim">Token width of the first stage; each later stage doubles it.</param>
/// <param name="Depths">Blocks per stage.</param>
/// <param name="Heads">Attention heads per stage (as many entries as <paramref name="Depths"/>).</param>
/// <param name="WindowSize">Side of the square attention windows; odd blocks shift them by half a window.</param>
/// <param name="MlpRatio">Hidden width of each block's MLP, per token width.</param>
/// <param name="NumClasses">Outputs of the classifier <c>head</c>.</param>
public sealed record SwinConfig(
    int PatchSize, int EmbedDim, IReadOnlyList<int> Depths, IReadOnlyList<int> Heads, int WindowSize,
    double MlpRatio = 4.0, int NumClasses = 1000)
{
    /// <summary>torchvision's <c>swin_t</c>: patches of 4, width 96, depths 2, 2, 6, 2, heads 3, 6, 12, 24, windows of 7.</summary>
    public static SwinConfig SwinT { get; } = new(4, 96, [2, 2, 6, 2], [3, 6, 12, 24], 7);

    /// <summary>Number of stages.</summary>
    public int Stages => Depths.Count;

    /// <summary>
    /// The dotted name of the last stage (the <c>features</c> child whose output is <c>[N, h, w, C]</c> before the final
    /// norm): <c>features.7</c> for <see cref="SwinT"/>.
    /// </summary>
    public string LastStage => "features." + (2 * Stages - 1).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <inheritdoc />
    public bool Equals(SwinConfig? other) =>
        other is not null && PatchSize == other.PatchSize && EmbedDim == other.EmbedDim && WindowSize == other.WindowSize
        && MlpRatio.Equals(other.MlpRatio) && NumClasses == other.NumClasses
        && Depths.SequenceEqual(other.Depths) && Heads.SequenceEqual(other.Heads);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(PatchSize, EmbedDim, WindowSize, MlpRatio, NumClasses, Depths.Count);
}
