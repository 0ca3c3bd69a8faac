using DecomCamNet.Models;
using DecomCamNet.Native;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DecomCamNet.Clip.Models;

/// <summary>
/// CLIP's ViT image encoder with OpenAI's names: <c>conv1</c> (patch embedding, no bias), <c>class_embedding</c>
/// [width], <c>positional_embedding</c> [grid^2 + 1, width], <c>ln_pre</c>, <c>transformer</c>
/// (<c>transformer.resblocks.N</c>), <c>ln_post</c> on the class token and <c>proj</c> [width, output_dim].
/// </summary>
/// <remarks>
/// The transformer runs sequence-first, as OpenAI's does: a forward hook on <c>transformer.resblocks.N.*</c> sees
/// [L, N, width] with L = 1 + grid^2, the class token first and the patches in row-major order after it.
/// </remarks>
public sealed class VisionTransformer : nn.Module<Tensor, Tensor>, ITokenClassifier
{
    private readonly nn.Module<Tensor, Tensor> conv1;
    private readonly Parameter class_embedding;
    private readonly Parameter positional_embedding;
    private readonly ClipLayerNorm ln_pre;
    private readonly ClipTransformer transformer;
    private readonly ClipLayerNorm ln_post;
    private readonly Parameter proj;
    private readonly long _width;

    /// <summary>Creates the encoder with CLIP's initialisation (embeddings and projection normal, std width^-0.5).</summary>
    /// <param name="inputResolution">Side of the square input image; a multiple of <paramref name="patchSize"/>.</param>
    /// <param name="patchSize">Side of a patch (32 for ViT-B/32).</param>
    /// <param name="width">Token width.</param>
    /// <param name="layers">Transformer blocks.</param>
    /// <param name="heads">Attention heads (CLIP: width / 64).</param>
    /// <param name="outputDim">Width of the image embedding.</param>
    /// <param name="device">Where to allocate the parameters (default: TorchSharp's default device).</param>
    public VisionTransformer(
        int inputResolution, int patchSize, long width, int layers, long heads, long outputDim, Device? device = null)
        : base(nameof(VisionTransformer))
    {
        if (patchSize < 1 || inputResolution < patchSize || inputResolution % patchSize != 0)
            throw new ArgumentException(
                $"The input resolution {inputResolution} must be a positive multiple of the patch size {patchSize}.",
                nameof(inputResolution));
        InputResolution = inputResolution;
        PatchSize = patchSize;
        OutputDim = outputDim;
        _width = width;
        long grid = inputResolution / patchSize;
        double scale = Math.Pow(width, -0.5);

        conv1 = nn.Conv2d(3, width, patchSize, stride: patchSize, bias: false, device: device);
        class_embedding = nn.Parameter(empty(width, device: device).normal_(0, scale));
        positional_embedding = nn.Parameter(empty(grid * grid + 1, width, device: device).normal_(0, scale));
        ln_pre = new ClipLayerNorm(width, device);
        transformer = new ClipTransformer(width, layers, heads, causal: false, device);
        ln_post = new ClipLayerNorm(width, device);
        proj = nn.Parameter(empty(width, outputDim, device: device).normal_(0, scale));
        RegisterComponents();
    }

    /// <summary>Side of the square input image the positional embedding was made for.</summary>
    public int InputResolution { get; }

    /// <summary>Side of a patch.</summary>
    public int PatchSize { get; }

    /// <summary>Patches per side (<see cref="InputResolution"/> / <see cref="PatchSize"/>).</summary>
    public int Grid => InputResolution / PatchSize;

    /// <summary>Width of the image embedding.</summary>
    public long OutputDim { get; }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        VisionInput.Check(input, InputResolution);
        long batch = input.shape[0];
        // Temporaries are disposed one by one: a dispose scope here would also dispose what hooks on the children keep.
        var free = IntermediateRelease.For(input);
        var embedded = conv1.call(input);
        using var flat = embedded.flatten(2);
        free.Release(embedded);
        using var patches = flat.permute(0, 2, 1);                                   // [N, grid^2, width]
        using var cls = class_embedding.expand(batch, 1, _width);
        using var tokens = cat(new[] { cls, patches }, 1);                           // [N, L, width]
        tokens.add_(positional_embedding, CachedScalars.One);
        var normed = ln_pre.call(tokens);
        using var sequenceFirst = normed.permute(1, 0, 2);                          // [L, N, width]
        free.Release(normed);
        var encoded = transformer.call(sequenceFirst);
        using var classToken = encoded[0];
        free.Release(encoded);
        var final = ln_post.call(classToken);
        var projected = final.matmul(proj);
        free.Release(final);
        return projected;
    }

    /// <inheritdoc />
    /// <remarks><c>transformer.resblocks.N</c>, whose outputs are sequence-first tokens [L, N, width].</remarks>
    public IReadOnlyList<string> TokenBlocks => Enumerable.Range(0, transformer.Layers).Select(i => $"transformer.resblocks.{i}").ToArray();

    /// <inheritdoc />
    /// <remarks>The image embedding of a block's output [L, N, width]: <c>ln_post</c> of the class token times <c>proj</c>.</remarks>
    public Tensor ClassifyTokens(Tensor blockOutput)
    {
        ArgumentNullException.ThrowIfNull(blockOutput);
        if (blockOutput.ndim != 3 || blockOutput.shape[2] != _width)
            throw new ArgumentException($"Expected a block's sequence-first tokens [L, N, {_width}], got [{string.Join(", ", blockOutput.shape)}].", nameof(blockOutput));
        return ln_post.call(blockOutput[0]).matmul(proj);
    }
}
