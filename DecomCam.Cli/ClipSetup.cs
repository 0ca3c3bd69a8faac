using System.Globalization;
using System.Text;
using DecomCamNet.Clip;
using DecomCamNet.Clip.Models;
using DecomCamNet.Clip.Tokenizer;
using DecomCamNet.Imaging;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet.Cli;

/// <summary>The command line's CLIP path: the model from OpenAI-layout weights, the prompts, their targets and report.</summary>
internal sealed class ClipSetup : IDisposable
{
    private readonly ClipPrompts _prompts;

    private ClipSetup(string name, ClipModel model, ClipPrompts prompts)
    {
        Name = name;
        Model = model;
        _prompts = prompts;
    }

    public string Name { get; }

    public ClipModel Model { get; }

    public IReadOnlyList<string> Prompts => _prompts.Prompts;

    /// <summary>The name that loads any CLIP checkpoint in OpenAI's layout, its architecture inferred from the weights.</summary>
    public const string AnyClip = "clip";

    public static bool IsClip(string modelName) => modelName == AnyClip || modelName.StartsWith("clip-", StringComparison.Ordinal);

    /// <summary>Loads the CLIP model <paramref name="name"/> and encodes the prompts of <paramref name="options"/>.</summary>
    public static ClipSetup Create(CliOptions options, string name, Device device)
    {
        if (name != AnyClip && !ClipZoo.Names.Contains(name))
            throw new CliException($"Unknown CLIP model '{name}'. Valid: {AnyClip} (architecture from --weights), {string.Join(", ", ClipZoo.Names)}.");
        var prompts = ReadPrompts(options);
        ClipModel model;
        if (options.Weights is not null) model = ClipWeights.Load(options.Weights, name == AnyClip ? null : name);
        else if (name == AnyClip) throw new CliException("--model clip infers the architecture from --weights; give --weights, or name the model (clip-rn50, ...).");
        else if (options.RandomWeights) model = ClipZoo.Create(name);
        else throw new CliException($"--weights is required for {name}: this tool never downloads weights. Convert OpenAI's file to a " +
            ".pth or .safetensors state dict once (see README, \"CLIP\"), or pass --random-weights for speed tests.");
        model.to(device);
        model.eval();
        return new ClipSetup(name, model, new ClipPrompts(model, prompts, options.ClipScore));
    }

    /// <summary>CLIP's own preprocessing at the model's resolution (the command line's resize and crop overrides apply to it).</summary>
    public ImagePreprocessing Preprocessing => ClipPreprocessing.For(Model.ImageResolution);

    /// <summary>visual.layer4 for a ResNet; the last block's ln_1 for a ViT (its output reaches only the class token).</summary>
    public string DefaultLayer => ClipZoo.DefaultLayer(Model.Config);

    public ActivationReshape DefaultReshape => ClipZoo.Reshape(Model.Config);

    /// <summary>The target: --target picks prompts by index, --all-prompts explains every prompt, else the zero-shot choice.</summary>
    public CamTarget Target(CliOptions options, long images)
    {
        if (options.AllPrompts) return _prompts.AllPrompts((int)images);
        return options.Targets switch
        {
            null => _prompts.ZeroShot,
            { Length: 1 } t => Checked(t[0], () => _prompts.Prompt(t[0])),
            var t => Checked(t.Max(), () => CamTarget.PerSample(t).On(_prompts.Scores, "prompt per image")),
        };
    }

    /// <summary>Prints each prompt's cosine similarity and zero-shot probability, and the choice, per image.</summary>
    public void Report(Tensor input, TextWriter stdout)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var embedding = Model.call(input);
        var similarity = _prompts.Similarities(embedding).cpu();
        var probability = _prompts.Probabilities(embedding).cpu();
        for (long image = 0; image < similarity.shape[0]; image++)
        {
            for (int k = 0; k < Prompts.Count; k++)
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"image {image}: prompt {k} \"{Prompts[k]}\": similarity {similarity[image, k].item<float>():F4}, zero-shot probability {probability[image, k].item<float>():F4}"));
            long best = probability[image].argmax().item<long>();
            stdout.WriteLine($"image {image}: zero-shot choice: prompt {best} \"{Prompts[(int)best]}\"");
        }
    }

    /// <summary>A file-name-safe form of prompt <paramref name="index"/> (lower-case letters, digits and dashes, at most 40).</summary>
    public string Slug(int index)
    {
        var builder = new StringBuilder();
        foreach (char c in Prompts[index].ToLowerInvariant())
        {
            if (char.IsAsciiLetterOrDigit(c)) builder.Append(c);
            else if (builder.Length > 0 && builder[^1] != '-') builder.Append('-');
            if (builder.Length >= 40) break;
        }
        var slug = builder.ToString().Trim('-');
        return slug.Length > 0 ? slug : $"prompt{index}";
    }

    public void Dispose()
    {
        _prompts.Dispose();
        Model.Dispose();
    }

    private CamTarget Checked(int largest, Func<CamTarget> make)
    {
        if (largest >= Prompts.Count)
            throw new CliException($"--target {largest} is not a prompt: there are {Prompts.Count} (valid 0..{Prompts.Count - 1}).");
        return make();
    }

    private static string[] ReadPrompts(CliOptions options)
    {
        var prompts = new List<string>(options.Prompts);
        if (options.PromptsFile is { } file)
        {
            if (!File.Exists(file)) throw new CliException($"Prompts file '{file}' does not exist.");
            prompts.AddRange(File.ReadAllLines(file).Select(l => l.Trim()).Where(l => l.Length > 0));
        }
        if (prompts.Count == 0) throw new CliException("A CLIP model explains text prompts: give --prompt \"a photo of a cat\" (repeatable) or --prompts-file FILE.");
        foreach (var prompt in prompts)
        {
            int tokens = ClipTokenizer.Default.Encode(prompt).Count + 2;
            if (tokens > ClipTokenizer.ContextLength)
                throw new CliException($"The prompt \"{prompt}\" has {tokens} tokens; CLIP takes at most {ClipTokenizer.ContextLength}.");
        }
        return prompts.ToArray();
    }
}
