using static TorchSharp.torch;

namespace DecomCamNet;

/// <summary>
/// The outcome of one explanation. All tensors live on the input's device and belong to this result: dispose it
/// (or move the tensors you keep) when done.
/// </summary>
public sealed class CamResult : IDisposable
{
    /// <summary>
    /// A result from its parts, for methods that combine other methods' results (RefineCAM); it owns every tensor given.
    /// The last argument declares which intermediates are worth writing as pictures (<see cref="IntermediateImages"/>; none when null).
    /// </summary>
    /// <exception cref="ArgumentException">An intermediate image names no intermediate of the first layer.</exception>
    public CamResult(string method, Tensor maps, IReadOnlyList<Tensor> rawMaps, IReadOnlyList<string> layerNames,
        Tensor scores, Tensor? classes, long[] imageIndex, IReadOnlyDictionary<string, Tensor> intermediates,
        IReadOnlyList<IntermediateImage>? intermediateImages = null)
    {
        intermediateImages ??= [];
        foreach (var image in intermediateImages)
            foreach (string name in new[] { image.Name, image.ClassScores }.OfType<string>())
                if (!intermediates.ContainsKey($"{layerNames[0]}/{name}"))
                    throw new ArgumentException($"The intermediate image '{image.Name}' needs the intermediate '{name}' of layer '{layerNames[0]}', which the {method} result does not have.", nameof(intermediateImages));
        Method = method;
        Maps = maps;
        RawMaps = rawMaps;
        LayerNames = layerNames;
        Scores = scores;
        Classes = classes;
        ImageIndex = imageIndex;
        Intermediates = intermediates;
        IntermediateImages = intermediateImages;
    }

    /// <summary>The method that produced the result (for example <c>gradcam</c>).</summary>
    public string Method { get; }

    /// <summary>Final maps [M,H,W] in [0,1] at input size: ReLU, per-image min-max, bilinear resize (mean over layers when several).</summary>
    public Tensor Maps { get; }

    /// <summary>Per layer, the method's raw map [M,h,w] before ReLU, normalisation and resizing.</summary>
    public IReadOnlyList<Tensor> RawMaps { get; }

    /// <summary>The dotted names of the target layers, in the order of <see cref="RawMaps"/>.</summary>
    public IReadOnlyList<string> LayerNames { get; }

    /// <summary>The target score of each row on the unmodified input [M] (the logit for a class target).</summary>
    public Tensor Scores { get; }

    /// <summary>The class of each row [M] (long), or null for a custom target.</summary>
    public Tensor? Classes { get; }

    /// <summary>For each row of <see cref="Maps"/>, the index of its input image (rows differ from images when several targets per image are given).</summary>
    public IReadOnlyList<long> ImageIndex { get; }

    /// <summary>
    /// Method-specific intermediate tensors keyed <c>"&lt;layer&gt;/&lt;name&gt;"</c> (for example <c>"layer4/weights"</c>);
    /// each method documents its keys.
    /// </summary>
    public IReadOnlyDictionary<string, Tensor> Intermediates { get; }

    /// <summary>
    /// The intermediates (of the first layer) that the method declares worth writing as pictures, and how to draw them;
    /// empty for most methods.
    /// </summary>
    public IReadOnlyList<IntermediateImage> IntermediateImages { get; }

    /// <summary>The intermediate <paramref name="name"/> of the first target layer.</summary>
    /// <exception cref="KeyNotFoundException">The method did not produce it; the message lists what it did produce.</exception>
    public Tensor Intermediate(string name)
    {
        var key = $"{LayerNames[0]}/{name}";
        if (Intermediates.TryGetValue(key, out var t)) return t;
        throw new KeyNotFoundException($"The {Method} result has no intermediate '{name}'. Available: {string.Join(", ", Intermediates.Keys)}");
    }

    /// <summary>Releases every tensor of the result.</summary>
    public void Dispose()
    {
        Maps.Dispose();
        foreach (var t in RawMaps) t.Dispose();
        Scores.Dispose();
        Classes?.Dispose();
        foreach (var t in Intermediates.Values) t.Dispose();
    }

    /// <summary>This result with <paramref name="maps"/> as its maps; the old maps are disposed.</summary>
    internal CamResult WithMaps(Tensor maps)
    {
        Maps.Dispose();
        return new CamResult(Method, maps, RawMaps, LayerNames, Scores, Classes, ImageIndex.ToArray(), Intermediates, IntermediateImages);
    }

    internal void MoveToOuterDisposeScope()
    {
        Maps.MoveToOuterDisposeScope();
        foreach (var t in RawMaps) t.MoveToOuterDisposeScope();
        Scores.MoveToOuterDisposeScope();
        Classes?.MoveToOuterDisposeScope();
        foreach (var t in Intermediates.Values) t.MoveToOuterDisposeScope();
    }
}
