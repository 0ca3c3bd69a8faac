using DecomCamNet.Clip.Models;
using DecomCamNet.Clip.Tokenizer;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet.Clip;

/// <summary>
/// Text prompts encoded once by a <see cref="ClipModel"/>, turned into CAM targets: the explained model is the CLIP model
/// itself (its output is the image embedding), and each target scores that embedding against the prompts' embeddings
/// (<see cref="ClipScore"/>; cosine similarity by default). Prompt <c>k</c> plays the part of class <c>k</c>: the zero-shot
/// choice is the prompt with the highest similarity (the argmax of CLIP's softmax over <c>logit_scale</c> × cosine).
/// </summary>
/// <example><code>
/// using var clip = ClipModel.FromStateDict(StateDictLoader.Load("clip_rn50.safetensors"));
/// using var prompts = new ClipPrompts(clip, new[] { "a photo of a cat", "a photo of a dog" });
/// using var cam = new DecomCam(clip, "visual.layer4");
/// using var result = cam.Explain(image, prompts.ZeroShot);   // or prompts.Prompt(1), or prompts.AllPrompts(1)
/// </code></example>
public sealed class ClipPrompts : IDisposable
{
    private readonly Tensor _text;      // [K,D]: unit rows (Cosine, Logit) or logit_scale × raw rows (OfficialDot)
    private readonly double _logitScale; // exp(logit_scale): CLIP's temperature

    /// <summary>Tokenizes and encodes <paramref name="prompts"/> with <paramref name="clip"/>'s text encoder (no gradients).</summary>
    /// <exception cref="ArgumentException">No prompt, an empty prompt list entry, or a prompt longer than 77 tokens.</exception>
    public ClipPrompts(ClipModel clip, IReadOnlyList<string> prompts, ClipScore score = ClipScore.Cosine, ClipTokenizer? tokenizer = null)
    {
        ArgumentNullException.ThrowIfNull(clip);
        ArgumentNullException.ThrowIfNull(prompts);
        if (prompts.Count == 0) throw new ArgumentException("Give at least one prompt.", nameof(prompts));
        if (prompts.Any(p => p is null)) throw new ArgumentException("A prompt is null.", nameof(prompts));
        Prompts = prompts.ToArray();
        Score = score;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var device = clip.parameters().First().device;
        var tokens = (tokenizer ?? ClipTokenizer.Default).Tokenize(Prompts).to(device);
        var text = clip.EncodeText(tokens);
        var rawScale = clip.LogitScale.detach();
        _logitScale = rawScale.exp().item<float>();
        _text = (score == ClipScore.OfficialDot ? text * rawScale : nn.functional.normalize(text, dim: 1)).detach().MoveToOuterDisposeScope();
    }

    /// <summary>The prompts, in target order.</summary>
    public IReadOnlyList<string> Prompts { get; }

    /// <summary>The score the targets explain.</summary>
    public ClipScore Score { get; }

    /// <summary>The zero-shot choice of each image: the prompt it matches best.</summary>
    public CamTarget ZeroShot => CamTarget.TopClass.On(Scores, "zero-shot choice among prompts");

    /// <summary>Prompt <paramref name="index"/> for every image.</summary>
    public CamTarget Prompt(int index)
    {
        if (index < 0 || index >= Prompts.Count)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"There are {Prompts.Count} prompts (valid 0..{Prompts.Count - 1}).");
        return CamTarget.Class(index).On(Scores, $"prompt \"{Prompts[index]}\"");
    }

    /// <summary>Every prompt for each of <paramref name="images"/> images: one map per (image, prompt), image-major.</summary>
    public CamTarget AllPrompts(int images)
    {
        if (images < 1) throw new ArgumentOutOfRangeException(nameof(images), images, "At least one image.");
        var all = Enumerable.Range(0, Prompts.Count).ToArray();
        return CamTarget.Many(Enumerable.Repeat(all, images).ToArray()).On(Scores, $"each of {Prompts.Count} prompts");
    }

    /// <summary>The score of every image embedding <c>[N,D]</c> against every prompt: <c>[N,K]</c>, differentiable.</summary>
    public Tensor Scores(Tensor imageEmbedding)
    {
        ObjectDisposedException.ThrowIf(_text.IsInvalid, this);
        if (imageEmbedding.dim() != 2 || imageEmbedding.shape[1] != _text.shape[1])
            throw new CamException($"A CLIP prompt target needs image embeddings [N,{_text.shape[1]}]; the model returned [{string.Join(",", imageEmbedding.shape)}]. Explain the CLIP model itself (its output is the image embedding).");
        var text = _text.to(imageEmbedding.device);
        using var scale = _logitScale.ToScalar();
        return Score switch
        {
            ClipScore.Cosine => nn.functional.normalize(imageEmbedding, dim: 1).matmul(text.t()),
            ClipScore.Logit => nn.functional.normalize(imageEmbedding, dim: 1).matmul(text.t()).mul(scale),
            _ => imageEmbedding.matmul(text.t()),
        };
    }

    /// <summary>Cosine similarity of every image embedding <c>[N,D]</c> to every prompt, <c>[N,K]</c>, whatever <see cref="Score"/> is.</summary>
    public Tensor Similarities(Tensor imageEmbedding)
    {
        using var scope = NewDisposeScope();
        var text = Score == ClipScore.OfficialDot ? nn.functional.normalize(_text, dim: 1) : _text;
        return nn.functional.normalize(imageEmbedding, dim: 1).matmul(text.to(imageEmbedding.device).t()).MoveToOuterDisposeScope();
    }

    /// <summary>CLIP's zero-shot probabilities over the prompts, <c>softmax(exp(logit_scale) × cosine)</c>, <c>[N,K]</c>.</summary>
    public Tensor Probabilities(Tensor imageEmbedding)
    {
        using var scope = NewDisposeScope();
        using var scale = _logitScale.ToScalar();
        return Similarities(imageEmbedding).mul(scale).softmax(1).MoveToOuterDisposeScope();
    }

    /// <summary>Releases the prompts' embeddings.</summary>
    public void Dispose() => _text.Dispose();
}
