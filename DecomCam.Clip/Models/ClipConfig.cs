using System.Globalization;
using System.Text;
using static TorchSharp.torch;

namespace DecomCamNet.Clip.Models;

/// <summary>
/// The hyperparameters of a CLIP model, as OpenAI's <c>build_model</c> infers them from a state dict.
/// </summary>
/// <param name="EmbedDim">Width of the joint image/text embedding.</param>
/// <param name="ImageResolution">Side of the square input image.</param>
/// <param name="VisionLayers">Four block counts (layer1..layer4) for a ResNet image encoder; one entry (the number of
/// transformer blocks) for a ViT.</param>
/// <param name="VisionWidth">ResNet stem width (64 for RN50) or ViT token width (768 for ViT-B).</param>
/// <param name="VisionPatchSize">ViT patch side; null for a ResNet image encoder.</param>
/// <param name="ContextLength">Tokens per prompt (77).</param>
/// <param name="VocabSize">Token ids (49408).</param>
/// <param name="TransformerWidth">Text transformer width.</param>
/// <param name="TransformerHeads">Text transformer attention heads (width / 64).</param>
/// <param name="TransformerLayers">Text transformer blocks.</param>
public sealed record ClipConfig(
    int EmbedDim,
    int ImageResolution,
    IReadOnlyList<int> VisionLayers,
    int VisionWidth,
    int? VisionPatchSize,
    int ContextLength,
    int VocabSize,
    int TransformerWidth,
    int TransformerHeads,
    int TransformerLayers)
{
    /// <summary>Whether the image encoder is a <see cref="VisionTransformer"/> (else a <see cref="ModifiedResNet"/>).</summary>
    public bool IsVit => VisionPatchSize is not null;

    /// <summary>Attention heads of the image encoder: width / 64 for a ViT, 32 width / 64 for <c>attnpool</c> of a ResNet.</summary>
    public int VisionHeads => IsVit ? VisionWidth / 64 : VisionWidth * 32 / 64;

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first inconsistent hyperparameter.</summary>
    /// <exception cref="ArgumentException">A value is out of range or the values do not fit together.</exception>
    public void Validate()
    {
        static void Positive(int value, string name)
        {
            if (value < 1)
                throw new ArgumentException($"ClipConfig.{name} must be positive, got {value}.", name);
        }

        Positive(EmbedDim, nameof(EmbedDim));
        Positive(ImageResolution, nameof(ImageResolution));
        Positive(VisionWidth, nameof(VisionWidth));
        Positive(ContextLength, nameof(ContextLength));
        Positive(VocabSize, nameof(VocabSize));
        Positive(TransformerWidth, nameof(TransformerWidth));
        Positive(TransformerHeads, nameof(TransformerHeads));
        Positive(TransformerLayers, nameof(TransformerLayers));
        if (VisionLayers is null || VisionLayers.Any(n => n < 1) || VisionLayers.Count != (IsVit ? 1 : 4))
            throw new ArgumentException(
                $"ClipConfig.VisionLayers must hold {(IsVit ? "one positive block count (ViT)" : "four positive block counts (ResNet)")}, " +
                $"got [{(VisionLayers is null ? "null" : string.Join(", ", VisionLayers))}].", nameof(VisionLayers));
        if (TransformerWidth % TransformerHeads != 0)
            throw new ArgumentException(
                $"ClipConfig.TransformerWidth {TransformerWidth} is not divisible by {TransformerHeads} heads.", nameof(TransformerHeads));
        if (IsVit)
        {
            if (VisionPatchSize < 1 || ImageResolution % VisionPatchSize != 0)
                throw new ArgumentException(
                    $"ClipConfig.ImageResolution {ImageResolution} is not a multiple of the patch size {VisionPatchSize}.", nameof(VisionPatchSize));
            if (VisionWidth % 64 != 0)
                throw new ArgumentException($"ClipConfig.VisionWidth {VisionWidth} of a ViT must be a multiple of 64.", nameof(VisionWidth));
        }
        else
        {
            if (ImageResolution % 32 != 0)
                throw new ArgumentException(
                    $"ClipConfig.ImageResolution {ImageResolution} of a ResNet must be a multiple of 32.", nameof(ImageResolution));
            if (VisionWidth % 2 != 0)
                throw new ArgumentException($"ClipConfig.VisionWidth {VisionWidth} of a ResNet must be even.", nameof(VisionWidth));
        }
    }

    /// <summary>
    /// Infers the hyperparameters from a state dict in OpenAI's layout, with <c>build_model</c>'s rules: a ViT when
    /// <c>visual.proj</c> is present (width and patch from <c>visual.conv1.weight</c>, layers = number of
    /// <c>visual.*.attn.in_proj_weight</c> keys, resolution = patch x sqrt(rows of <c>visual.positional_embedding</c> - 1));
    /// otherwise a ResNet (blocks per <c>visual.layerK</c>, width from <c>visual.layer1.0.conv1.weight</c>, resolution
    /// = 32 x sqrt(rows of <c>visual.attnpool.positional_embedding</c> - 1)); text sizes from <c>text_projection</c>,
    /// <c>positional_embedding</c>, <c>token_embedding.weight</c>, <c>ln_final.weight</c> (heads = width / 64) and
    /// the <c>transformer.resblocks.N</c> keys. Only keys and shapes are read.
    /// </summary>
    /// <param name="stateDict">The state dict (key to tensor).</param>
    /// <returns>The inferred configuration.</returns>
    /// <exception cref="ArgumentException">A key that the inference needs is missing or has an unexpected rank (the
    /// message names it), or the shapes do not describe a valid model.</exception>
    public static ClipConfig FromStateDict(IReadOnlyDictionary<string, Tensor> stateDict)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        bool vit = stateDict.ContainsKey("visual.proj");
        int imageResolution, visionWidth;
        int? patchSize;
        int[] visionLayers;
        if (vit)
        {
            var conv1 = Shape(stateDict, "visual.conv1.weight", 4);
            visionWidth = checked((int)conv1[0]);
            patchSize = checked((int)conv1[^1]);
            visionLayers = [stateDict.Keys.Count(k => k.StartsWith("visual.", StringComparison.Ordinal)
                                                     && k.EndsWith(".attn.in_proj_weight", StringComparison.Ordinal))];
            long tokens = Shape(stateDict, "visual.positional_embedding", 2)[0];
            imageResolution = patchSize.Value * (int)Math.Round(Math.Sqrt(tokens - 1));
        }
        else
        {
            visionLayers = new int[4];
            for (int b = 1; b <= 4; b++)
            {
                var prefix = "visual.layer" + b.ToString(CultureInfo.InvariantCulture);
                visionLayers[b - 1] = stateDict.Keys
                    .Where(k => k.StartsWith(prefix, StringComparison.Ordinal))
                    .Select(k => k.Split('.'))
                    .Where(parts => parts.Length > 2)
                    .Select(parts => parts[2])
                    .Distinct(StringComparer.Ordinal)
                    .Count();
            }
            visionWidth = checked((int)Shape(stateDict, "visual.layer1.0.conv1.weight", 4)[0]);
            const string attnposKey = "visual.attnpool.positional_embedding";
            long rows = Shape(stateDict, attnposKey, 2)[0];
            int outputWidth = (int)Math.Round(Math.Sqrt(rows - 1));
            if ((long)outputWidth * outputWidth + 1 != rows)
                throw new ArgumentException(
                    $"'{attnposKey}' has {rows} rows, which is not a square grid plus one token.", nameof(stateDict));
            patchSize = null;
            imageResolution = outputWidth * 32;
        }

        int embedDim = checked((int)Shape(stateDict, "text_projection", 2)[1]);
        int contextLength = checked((int)Shape(stateDict, "positional_embedding", 2)[0]);
        int vocabSize = checked((int)Shape(stateDict, "token_embedding.weight", 2)[0]);
        int transformerWidth = checked((int)Shape(stateDict, "ln_final.weight", 1)[0]);
        int transformerLayers = stateDict.Keys
            .Where(k => k.StartsWith("transformer.resblocks", StringComparison.Ordinal))
            .Select(k => k.Split('.'))
            .Where(parts => parts.Length > 2)
            .Select(parts => parts[2])
            .Distinct(StringComparer.Ordinal)
            .Count();

        var config = new ClipConfig(
            embedDim, imageResolution, visionLayers, visionWidth, patchSize, contextLength, vocabSize,
            transformerWidth, transformerWidth / 64, transformerLayers);
        try
        {
            config.Validate();
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException(
                $"The state dict does not describe a valid CLIP model in OpenAI's layout: {ex.Message}", nameof(stateDict), ex);
        }
        return config;
    }

    private static long[] Shape(IReadOnlyDictionary<string, Tensor> stateDict, string key, int rank)
    {
        if (!stateDict.TryGetValue(key, out var tensor) || tensor is null)
            throw new ArgumentException(
                $"The state dict lacks '{key}', which OpenAI's CLIP layout has; it is not a CLIP state dict " +
                "(keys such as 'visual.conv1.weight', 'transformer.resblocks.0.attn.in_proj_weight', 'text_projection').",
                nameof(stateDict));
        var shape = tensor.shape;
        if (shape.Length != rank)
            throw new ArgumentException(
                $"'{key}' has shape [{string.Join(", ", shape)}]; OpenAI's CLIP layout has a rank-{rank} tensor there.",
                nameof(stateDict));
        return shape;
    }

    /// <inheritdoc />
    public bool Equals(ClipConfig? other) =>
        other is not null
        && EmbedDim == other.EmbedDim
        && ImageResolution == other.ImageResolution
        && VisionLayers.SequenceEqual(other.VisionLayers)
        && VisionWidth == other.VisionWidth
        && VisionPatchSize == other.VisionPatchSize
        && ContextLength == other.ContextLength
        && VocabSize == other.VocabSize
        && TransformerWidth == other.TransformerWidth
        && TransformerHeads == other.TransformerHeads
        && TransformerLayers == other.TransformerLayers;

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(EmbedDim);
        hash.Add(ImageResolution);
        foreach (var n in VisionLayers)
            hash.Add(n);
        hash.Add(VisionWidth);
        hash.Add(VisionPatchSize);
        hash.Add(ContextLength);
        hash.Add(VocabSize);
        hash.Add(TransformerWidth);
        hash.Add(TransformerHeads);
        hash.Add(TransformerLayers);
        return hash.ToHashCode();
    }

    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append(CultureInfo.InvariantCulture,
            $"EmbedDim = {EmbedDim}, ImageResolution = {ImageResolution}, VisionLayers = [{string.Join(", ", VisionLayers)}], " +
            $"VisionWidth = {VisionWidth}, VisionPatchSize = {VisionPatchSize?.ToString(CultureInfo.InvariantCulture) ?? "null"}, " +
            $"ContextLength = {ContextLength}, VocabSize = {VocabSize}, TransformerWidth = {TransformerWidth}, " +
            $"TransformerHeads = {TransformerHeads}, TransformerLayers = {TransformerLayers}");
        return true;
    }
}
