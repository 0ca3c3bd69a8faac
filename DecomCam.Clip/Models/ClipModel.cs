using DecomCamNet.Clip.Tokenizer;
using DecomCamNet.Models;
using DecomCamNet.Native;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DecomCamNet.Clip.Models;

/// <summary>
/// OpenAI's CLIP (<c>clip/model.py</c> in openai/CLIP) in TorchSharp, with module and parameter names equal to OpenAI's
/// state-dict keys (<c>visual.layer4</c>, <c>visual.attnpool.c_proj.weight</c>,
/// <c>visual.transformer.resblocks.11.ln_1</c>, <c>transformer.resblocks.0.attn.in_proj_weight</c>,
/// <c>token_embedding.weight</c>, <c>positional_embedding</c>, <c>text_projection</c>, <c>logit_scale</c>), so OpenAI
/// checkpoints converted to a state dict load with <see cref="FromStateDict"/> or
/// <see cref="DecomCamNet.Models.StateDictLoader"/>.
/// </summary>
/// <remarks>
/// <para><c>forward</c> (and <c>call</c>) is <see cref="EncodeImage"/>: the un-normalised image embedding
/// [N, embed_dim]. A class-activation-map method can therefore take the whole model and hook image layers by dotted
/// name (<c>visual.layer4</c>, <c>visual.transformer.resblocks.11.ln_1</c>), with a target that scores the embedding
/// (for instance its cosine similarity to a prompt's <see cref="EncodeText"/>).</para>
/// <para>Everything runs in float32 (LayerNorm also in lower precision, as OpenAI's does). The image transformer runs
/// sequence-first, so hooks inside <c>visual.transformer</c> see [L, N, width]. Forwards create no dispose scope of
/// their own (one would also free what forward hooks keep): run them inside the caller's scope.</para>
/// </remarks>
public sealed class ClipModel : nn.Module<Tensor, Tensor>, ITokenClassifier
{
    /// <summary>Keys that OpenAI's released (TorchScript) state dicts carry besides the weights; <c>build_model</c> drops them.</summary>
    private static readonly string[] MetadataKeys = ["input_resolution", "context_length", "vocab_size"];

    private readonly nn.Module<Tensor, Tensor> visual;
    private readonly ClipTransformer transformer;
    private readonly Embedding token_embedding;
    private readonly Parameter positional_embedding;
    private readonly ClipLayerNorm ln_final;
    private readonly Parameter text_projection;
    private readonly Parameter logit_scale;

    /// <summary>Creates a CLIP model with OpenAI's random initialisation, in training mode (call <c>eval()</c>).</summary>
    /// <param name="config">The hyperparameters (see <see cref="ClipZoo"/> for OpenAI's models).</param>
    /// <param name="device">Where to allocate the parameters; null means TorchSharp's default device.
    /// <c>torch.META</c> builds the structure without allocating weights.</param>
    /// <exception cref="ArgumentException">The configuration is inconsistent (the message names the value).</exception>
    public ClipModel(ClipConfig config, Device? device = null)
        : base(nameof(ClipModel))
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        visual = config.IsVit
            ? new VisionTransformer(
                config.ImageResolution, config.VisionPatchSize!.Value, config.VisionWidth, config.VisionLayers[0],
                config.VisionHeads, config.EmbedDim, device)
            : new ModifiedResNet(
                config.VisionLayers, config.EmbedDim, config.VisionHeads, config.ImageResolution, config.VisionWidth, device);
        transformer = new ClipTransformer(
            config.TransformerWidth, config.TransformerLayers, config.TransformerHeads, causal: true, device);
        token_embedding = nn.Embedding(config.VocabSize, config.TransformerWidth, device: device);
        positional_embedding = nn.Parameter(empty(config.ContextLength, config.TransformerWidth, device: device));
        ln_final = new ClipLayerNorm(config.TransformerWidth, device);
        text_projection = nn.Parameter(empty(config.TransformerWidth, config.EmbedDim, device: device));
        logit_scale = nn.Parameter(tensor(MathF.Log(1 / 0.07f), device: device));
        RegisterComponents();
        InitializeParameters();
    }

    /// <summary>The hyperparameters.</summary>
    public ClipConfig Config { get; }

    /// <summary>Side of the square input image the image encoder takes.</summary>
    public int ImageResolution => Config.ImageResolution;

    /// <summary>Tokens per prompt that <see cref="EncodeText"/> takes.</summary>
    public int ContextLength => Config.ContextLength;

    /// <summary>Width of the image and text embeddings.</summary>
    public int EmbedDim => Config.EmbedDim;

    /// <summary>The image encoder (<c>visual</c>): a <see cref="ModifiedResNet"/> or a <see cref="VisionTransformer"/>,
    /// [N, 3, R, R] to [N, embed_dim]. Hooks on it use names without the <c>visual.</c> prefix.</summary>
    public nn.Module<Tensor, Tensor> Visual => visual;

    /// <inheritdoc />
    /// <remarks>The ViT image encoder's blocks (<c>visual.transformer.resblocks.N</c>); none for a ResNet one.</remarks>
    public IReadOnlyList<string> TokenBlocks => visual is VisionTransformer vit ? vit.TokenBlocks.Select(b => $"visual.{b}").ToArray() : [];

    /// <inheritdoc />
    /// <exception cref="NotSupportedException">The image encoder is a ResNet, which has no token blocks.</exception>
    public Tensor ClassifyTokens(Tensor blockOutput) => visual is VisionTransformer vit
        ? vit.ClassifyTokens(blockOutput)
        : throw new NotSupportedException("This CLIP model's image encoder is a ResNet: it has no token blocks to score.");

    /// <summary>The learned log inverse temperature (a 0-d parameter): CLIP's logits are
    /// <c>exp(LogitScale)</c> times the cosine similarities of the normalised embeddings.</summary>
    public Tensor LogitScale => logit_scale;

    /// <summary>The image embedding (not normalised): <see cref="Visual"/> applied to <paramref name="image"/>.</summary>
    /// <param name="image">A normalised image batch [N, 3, R, R], R = <see cref="ImageResolution"/>, float32.</param>
    /// <returns>[N, embed_dim].</returns>
    /// <exception cref="ArgumentException">Wrong rank, channel count, resolution or dtype.</exception>
    public Tensor EncodeImage(Tensor image) => visual.call(image);

    /// <summary>Same as <see cref="EncodeImage"/>, so that the model is a single-tensor module for CAM methods.</summary>
    /// <param name="input">A normalised image batch [N, 3, R, R].</param>
    /// <returns>The image embedding [N, embed_dim].</returns>
    public override Tensor forward(Tensor input) => EncodeImage(input);

    /// <summary>
    /// The text embedding (not normalised): token and positional embeddings, the causal transformer, <c>ln_final</c>,
    /// and the features at each prompt's end-of-text token (its largest id) projected by <c>text_projection</c>.
    /// </summary>
    /// <param name="tokens">Token ids [N, context_length], int64, as <see cref="ClipTokenizer.Tokenize"/> makes them.</param>
    /// <returns>[N, embed_dim].</returns>
    /// <exception cref="ArgumentException">Wrong rank, length or dtype, or an id outside the vocabulary.</exception>
    public Tensor EncodeText(Tensor tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (tokens.ndim != 2 || tokens.shape[1] != ContextLength)
            throw new ArgumentException(
                $"Expected token ids [N, {ContextLength}], got [{string.Join(", ", tokens.shape)}].", nameof(tokens));
        if (tokens.dtype != ScalarType.Int64)
            throw new ArgumentException($"Expected int64 token ids, got {tokens.dtype}.", nameof(tokens));
        if (tokens.shape[0] > 0)
        {
            using var low = tokens.min();
            using var high = tokens.max();
            long min = low.item<long>(), max = high.item<long>();
            if (min < 0 || max >= Config.VocabSize)
                throw new ArgumentException(
                    $"Token ids must lie in [0, {Config.VocabSize}), got ids from {min} to {max}.", nameof(tokens));
        }

        long batch = tokens.shape[0], width = Config.TransformerWidth;
        var embedded = token_embedding.call(tokens);                                // [N, L, width]
        using var positioned = embedded.add(positional_embedding, CachedScalars.One);
        using var sequenceFirst = positioned.permute(1, 0, 2);                     // [L, N, width]
        var encoded = transformer.call(sequenceFirst);
        using var batchFirst = encoded.permute(1, 0, 2);
        var normed = ln_final.call(batchFirst);
        using var endOfText = tokens.argmax(-1);                                    // [N]
        using var rows = endOfText.view(batch, 1, 1);
        using var index = rows.expand(batch, 1, width);
        using var picked = normed.gather(1, index);                                 // [N, 1, width]
        using var features = picked.squeeze(1);
        return features.matmul(text_projection);
    }

    /// <summary>
    /// Creates the model that a state dict in OpenAI's layout describes (<see cref="ClipConfig.FromStateDict"/>) and
    /// copies every tensor into it, in evaluation mode. OpenAI's metadata entries (<c>input_resolution</c>,
    /// <c>context_length</c>, <c>vocab_size</c>) are ignored, and a missing <c>num_batches_tracked</c> is tolerated.
    /// </summary>
    /// <param name="stateDict">The state dict; its tensors are copied (converted to float32 and the target device), not kept.</param>
    /// <param name="device">Where to allocate the model; null means TorchSharp's default device.</param>
    /// <returns>The loaded model; the caller owns it.</returns>
    /// <exception cref="ArgumentException">A key is missing, unexpected or of the wrong shape (the message names it); the
    /// model is disposed and nothing is returned.</exception>
    public static ClipModel FromStateDict(IReadOnlyDictionary<string, Tensor> stateDict, Device? device = null)
    {
        var config = ClipConfig.FromStateDict(stateDict);
        using (var skeleton = new ClipModel(config, META)) // keys and shapes only: a bad dict allocates no weights
            skeleton.Check(stateDict);
        var model = new ClipModel(config, device);
        try
        {
            model.CopyFrom(stateDict);
            model.eval();
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private void Check(IReadOnlyDictionary<string, Tensor> source)
    {
        var target = state_dict();
        var problems = new List<string>();
        foreach (var (key, dst) in target)
        {
            if (!source.TryGetValue(key, out var src) || src is null)
            {
                if (!key.EndsWith("num_batches_tracked", StringComparison.Ordinal))
                    problems.Add($"missing key '{key}' (shape [{string.Join(", ", dst.shape)}])");
            }
            else if (!src.shape.SequenceEqual(dst.shape))
            {
                problems.Add($"'{key}' has shape [{string.Join(", ", src.shape)}], the model needs [{string.Join(", ", dst.shape)}]");
            }
        }
        foreach (var key in source.Keys.Where(k => !target.ContainsKey(k) && !MetadataKeys.Contains(k)).Order(StringComparer.Ordinal))
            problems.Add($"unexpected key '{key}'");
        if (problems.Count > 0)
            throw new ArgumentException(
                $"The state dict does not fit the CLIP model it describes ({Config}): " +
                string.Join("; ", problems.Take(10)) + (problems.Count > 10 ? $"; ... ({problems.Count - 10} more)" : "") + ".",
                "stateDict");
    }

    private void CopyFrom(IReadOnlyDictionary<string, Tensor> source)
    {
        var target = state_dict();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var (key, dst) in target)
        {
            if (source.TryGetValue(key, out var src) && src is not null)
                dst.copy_(src.to(dst.dtype, dst.device));
        }
    }

    /// <summary>OpenAI's <c>initialize_parameters</c>, keyed by state-dict name.</summary>
    private void InitializeParameters()
    {
        if (positional_embedding.device.type == DeviceType.META)
            return;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        double width = Config.TransformerWidth;
        double attnStd = Math.Pow(width, -0.5);
        double projStd = attnStd * Math.Pow(2.0 * Config.TransformerLayers, -0.5);
        double fcStd = Math.Pow(2 * width, -0.5);
        double poolStd = Math.Pow(Config.VisionWidth * 32.0, -0.5);
        foreach (var (name, p) in named_parameters())
        {
            if (name == "token_embedding.weight")
                p.normal_(0, 0.02);
            else if (name == "positional_embedding")
                p.normal_(0, 0.01);
            else if (name == "text_projection")
                p.normal_(0, attnStd);
            else if (name.StartsWith("visual.attnpool.", StringComparison.Ordinal) && name.EndsWith("_proj.weight", StringComparison.Ordinal))
                p.normal_(0, poolStd);
            else if (name.StartsWith("visual.layer", StringComparison.Ordinal) && name.EndsWith("bn3.weight", StringComparison.Ordinal))
                p.zero_();
            else if (name.StartsWith("transformer.resblocks.", StringComparison.Ordinal))
            {
                if (name.EndsWith("attn.in_proj_weight", StringComparison.Ordinal))
                    p.normal_(0, attnStd);
                else if (name.EndsWith("attn.out_proj.weight", StringComparison.Ordinal) || name.EndsWith("mlp.c_proj.weight", StringComparison.Ordinal))
                    p.normal_(0, projStd);
                else if (name.EndsWith("mlp.c_fc.weight", StringComparison.Ordinal))
                    p.normal_(0, fcStd);
            }
        }
    }
}
