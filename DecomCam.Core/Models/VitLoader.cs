using static TorchSharp.torch;

namespace DecomCamNet.Models;

/// <summary>
/// Builds a <see cref="VisionTransformer"/> from a checkpoint, its architecture (blocks, width, MLP width, patch, image
/// size, classes) read from the tensors: torchvision's names (<c>vit_b_16</c>, <c>vit_b_32</c> and their relatives),
/// or Hugging Face's <c>ViTForImageClassification</c> and <c>DeiTForImageClassification</c> names
/// (<c>google/vit-base-patch16-224</c>, <c>facebook/deit-base-patch16-224</c>: <c>model.safetensors</c> or
/// <c>pytorch_model.bin</c> as shipped).
/// </summary>
/// <remarks>
/// <para>Hugging Face keys map to torchvision's: <c>vit.embeddings.cls_token</c> to <c>class_token</c>,
/// <c>vit.embeddings.position_embeddings</c> to <c>encoder.pos_embedding</c>,
/// <c>vit.embeddings.patch_embeddings.projection</c> to <c>conv_proj</c>; in block N
/// (<c>vit.encoder.layer.N</c> to <c>encoder.layers.encoder_layer_N</c>) <c>attention.attention.query|key|value</c>
/// stacked in that order into <c>self_attention.in_proj_weight|bias</c>, <c>attention.output.dense</c> to
/// <c>self_attention.out_proj</c>, <c>layernorm_before|after</c> to <c>ln_1|ln_2</c>, <c>intermediate.dense</c> to
/// <c>mlp.0</c>, <c>output.dense</c> to <c>mlp.3</c>; <c>vit.layernorm</c> to <c>encoder.ln</c>, <c>classifier</c> to
/// <c>heads.head</c>. The prefix may be <c>deit.</c> in place of <c>vit.</c>; a <c>pooler</c> (unused by the
/// classifier) is ignored. Hugging Face's layer norms use epsilon 1e-12 (its config default), torchvision's 1e-6.</para>
/// <para>Neither format stores the number of attention heads (Hugging Face keeps it in <c>config.json</c>): it is
/// width / <see cref="VisionTransformerConfig.StandardHeadWidth"/> (64: 12 for ViT-B, 3 for DeiT-Tiny, 6 for
/// DeiT-Small) unless given.</para>
/// </remarks>
public static class VitLoader
{
    private static readonly string[] Prefixes = ["vit.", "deit."];

    private static readonly (string HuggingFace, string Torchvision)[] BlockParts =
    [
        ("attention.output.dense", "self_attention.out_proj"),
        ("layernorm_before", "ln_1"),
        ("layernorm_after", "ln_2"),
        ("intermediate.dense", "mlp.0"),
        ("output.dense", "mlp.3"),
    ];

    /// <summary>Loads a checkpoint with torchvision's ViT names.</summary>
    /// <param name="path">A <c>.safetensors</c>, <c>.pth</c>, <c>.pt</c> or <c>.bin</c> state dict.</param>
    /// <param name="heads">Attention heads per block; null means width / 64.</param>
    /// <param name="device">Where to put the model; null means TorchSharp's default device.</param>
    /// <returns>The model in evaluation mode; the caller owns it.</returns>
    /// <exception cref="ArgumentException">The file is not a torchvision ViT (the message names the key).</exception>
    /// <exception cref="InvalidDataException">The file cannot be read, or its keys or shapes do not fit.</exception>
    public static VisionTransformer LoadTorchvision(string path, int? heads = null, Device? device = null)
    {
        var stateDict = StateDictLoader.Read(path);
        try
        {
            return Build(stateDict, VisionTransformerConfig.FromStateDict(stateDict, heads), path, device);
        }
        finally
        {
            foreach (var tensor in stateDict.Values) tensor.Dispose();
        }
    }

    /// <summary>Loads a Hugging Face ViT or DeiT image-classification checkpoint.</summary>
    /// <param name="path">A <c>.safetensors</c> (Hugging Face's <c>model.safetensors</c>) or <c>.bin</c> state dict.</param>
    /// <param name="heads">Attention heads per block (<c>num_attention_heads</c> of the model's <c>config.json</c>); null means width / 64.</param>
    /// <param name="device">Where to put the model; null means TorchSharp's default device.</param>
    /// <returns>The model in evaluation mode, with torchvision's module names; the caller owns it.</returns>
    /// <exception cref="ArgumentException">The file is not a Hugging Face ViT classifier (the message names the key).</exception>
    /// <exception cref="InvalidDataException">The file cannot be read, or its keys or shapes do not fit.</exception>
    public static VisionTransformer LoadHuggingFace(string path, int? heads = null, Device? device = null)
    {
        var stateDict = StateDictLoader.Read(path);
        var mapped = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            MapHuggingFace(stateDict, mapped, path);
            var config = VisionTransformerConfig.FromStateDict(mapped, heads, layerNormEps: 1e-12);
            return Build(mapped, config, path, device);
        }
        finally
        {
            foreach (var tensor in stateDict.Values) tensor.Dispose();
            foreach (var tensor in mapped.Values) tensor.Dispose();
        }
    }

    private static VisionTransformer Build(
        IReadOnlyDictionary<string, Tensor> stateDict, VisionTransformerConfig config, string path, Device? device)
    {
        var model = new VisionTransformer(config, device);
        try
        {
            StateDictLoader.Load(model, stateDict, path);
            model.eval();
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Fills <paramref name="mapped"/> with new tensors (aliases or stacks) under torchvision's names.</summary>
    private static void MapHuggingFace(Dictionary<string, Tensor> source, Dictionary<string, Tensor> mapped, string path)
    {
        string prefix = Prefixes.FirstOrDefault(p => source.ContainsKey(p + "embeddings.cls_token"))
            ?? throw new ArgumentException(
                $"'{path}' has no 'vit.embeddings.cls_token' (nor 'deit.embeddings.cls_token'): not a Hugging Face ViT or DeiT checkpoint.", nameof(path));
        if (source.ContainsKey(prefix + "embeddings.distillation_token"))
            throw new ArgumentException(
                $"'{path}' is a distilled DeiT (it has a distillation token and two classifiers); only ViT and plain DeiT classifiers load.", nameof(path));
        if (!source.ContainsKey("classifier.weight"))
            throw new ArgumentException($"'{path}' has no 'classifier.weight': load an image-classification checkpoint (ViTForImageClassification).", nameof(path));

        var used = new HashSet<string>(StringComparer.Ordinal);
        void Alias(string from, string to)
        {
            if (!source.TryGetValue(from, out var tensor))
                throw new ArgumentException($"'{path}' has no '{from}'.", nameof(path));
            mapped[to] = tensor.alias();
            used.Add(from);
        }

        Alias(prefix + "embeddings.cls_token", "class_token");
        Alias(prefix + "embeddings.position_embeddings", "encoder.pos_embedding");
        Alias(prefix + "embeddings.patch_embeddings.projection.weight", "conv_proj.weight");
        Alias(prefix + "embeddings.patch_embeddings.projection.bias", "conv_proj.bias");
        for (int i = 0; source.ContainsKey($"{prefix}encoder.layer.{i}.layernorm_before.weight"); i++)
        {
            string from = $"{prefix}encoder.layer.{i}.", to = $"encoder.layers.encoder_layer_{i}.";
            foreach (var kind in new[] { "weight", "bias" })
            {
                var parts = new[] { "query", "key", "value" }.Select(p => $"{from}attention.attention.{p}.{kind}").ToArray();
                var missing = parts.FirstOrDefault(p => !source.ContainsKey(p));
                if (missing is not null)
                    throw new ArgumentException($"'{path}' has no '{missing}'.", nameof(path));
                mapped[$"{to}self_attention.in_proj_{kind}"] = cat(parts.Select(p => source[p]).ToArray(), 0);
                used.UnionWith(parts);
                foreach (var (huggingFace, torchvision) in BlockParts)
                    Alias($"{from}{huggingFace}.{kind}", $"{to}{torchvision}.{kind}");
            }
        }
        foreach (var kind in new[] { "weight", "bias" })
        {
            Alias($"{prefix}layernorm.{kind}", $"encoder.ln.{kind}");
            Alias($"classifier.{kind}", $"heads.head.{kind}");
        }

        var unknown = source.Keys.Where(k => !used.Contains(k) && !k.StartsWith(prefix + "pooler.", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException(
                $"'{path}' has keys that a Hugging Face ViT classifier does not: {string.Join(", ", unknown.Take(10))}{(unknown.Count > 10 ? $", ... ({unknown.Count - 10} more)" : "")}.",
                nameof(path));
    }
}
