using System.Globalization;
using DecomCamNet.Clip.Tokenizer;

namespace DecomCamNet.ExplainService;

/// <summary>
/// Turns <c>POST /explain?model=M&amp;method=X[&amp;target=K][&amp;layer=L][&amp;prompt=P...]</c> and its body into an
/// <see cref="ExplainJob"/>, checking every parameter (and decoding the image) before any native work.
/// </summary>
public sealed class ExplainRequestParser(ModelCatalog catalog)
{
    /// <summary>The media type that asks for the map as <c>.npy</c> instead of the overlay PNG.</summary>
    public const string NpyMediaType = "application/x-npy";

    /// <summary>Checks the query and decodes the body.</summary>
    /// <exception cref="BadRequestException">A parameter is missing or unknown, or the body is not a usable image.</exception>
    public ExplainJob Parse(IQueryCollection query, string? accept, byte[] body)
    {
        string modelName = Required(query, "model");
        var model = catalog.Find(modelName)
            ?? throw new BadRequestException($"Unknown model '{modelName}'. Served: {string.Join(", ", catalog.Names)}.");
        string methodName = Required(query, "method").ToLowerInvariant();
        if (!CamMethods.Names.Contains(methodName))
            throw new BadRequestException($"Unknown method '{methodName}'. Valid: {string.Join(", ", CamMethods.Names)}.");
        string layer = Optional(query, "layer") ?? model.DefaultLayer;
        if (!model.Layers.ContainsKey(layer))
            throw new BadRequestException($"Model '{model.Name}' has no feature-map layer '{layer}'. Valid: {string.Join(", ", model.Layers.Keys.Order(StringComparer.Ordinal))}.");
        var prompts = Prompts(query, model);
        int? target = Target(query, model, prompts);
        var format = accept is not null && accept.Contains(NpyMediaType, StringComparison.OrdinalIgnoreCase) ? ExplainFormat.MapNpy : ExplainFormat.OverlayPng;
        var picture = RequestImage.Decode(body, model.Preprocessing);
        return new ExplainJob(model, methodName, layer, target, prompts, picture, format);
    }

    private static IReadOnlyList<string>? Prompts(IQueryCollection query, ServedModel model)
    {
        var given = query["prompt"].Where(p => !string.IsNullOrWhiteSpace(p)).Select(p => p!.Trim()).ToArray();
        if (!model.IsClip)
        {
            if (given.Length > 0) throw new BadRequestException($"'prompt' goes with a CLIP model; '{model.Name}' is a classifier (use 'target').");
            return null;
        }
        if (given.Length == 0) throw new BadRequestException($"Model '{model.Name}' explains text prompts: give one or more 'prompt' parameters.");
        foreach (var prompt in given)
        {
            int tokens = ClipTokenizer.Default.Encode(prompt).Count + 2;
            if (tokens > ClipTokenizer.ContextLength)
                throw new BadRequestException($"The prompt \"{prompt}\" has {tokens} tokens; CLIP takes at most {ClipTokenizer.ContextLength}.");
        }
        return given;
    }

    private static int? Target(IQueryCollection query, ServedModel model, IReadOnlyList<string>? prompts)
    {
        string? text = Optional(query, "target");
        if (text is null) return null;
        long count = prompts?.Count ?? model.Outputs;
        string what = prompts is null ? "class" : "prompt";
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int target) || target >= count)
            throw new BadRequestException($"Target '{text}' is not a {what} of '{model.Name}': give an index 0..{count - 1}.");
        return target;
    }

    private static string Required(IQueryCollection query, string name) =>
        Optional(query, name) ?? throw new BadRequestException($"The query parameter '{name}' is required.");

    private static string? Optional(IQueryCollection query, string name)
    {
        var values = query[name];
        if (values.Count > 1) throw new BadRequestException($"Give '{name}' once (it was given {values.Count} times).");
        string? value = values.Count == 1 ? values[0]?.Trim() : null;
        return string.IsNullOrEmpty(value) ? null : value;
    }
}
