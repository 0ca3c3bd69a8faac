using DecomCamNet.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet.Cli;

/// <summary>The zoo models and class names the commands load: the bundled demos (weights and names shipped) or a zoo model with the user's weights.</summary>
internal static class ZooModelLoader
{
    /// <summary>
    /// Zoo model <paramref name="name"/> with <paramref name="weights"/> (the bundled ones for a demo model unless
    /// <paramref name="randomWeights"/>), on <paramref name="device"/>, in eval mode.
    /// </summary>
    public static nn.Module<Tensor, Tensor> Load(string name, string? weights, bool randomWeights, int? numClasses, Device device)
    {
        var model = ModelZoo.Create(name, numClasses);
        weights = WeightsFile(name, weights, randomWeights);
        if (weights is not null) StateDictLoader.Load(model, weights);
        else if (!randomWeights)
            throw new CliException($"--weights is required for {name}: this tool never downloads weights. Pass a .safetensors or .pth state dict, or (explain) --random-weights for speed tests.");
        model.to(device);
        model.eval();
        return model;
    }

    /// <summary>The weights file <see cref="Load"/> reads: <paramref name="weights"/>, else the bundled one for a demo model unless <paramref name="randomWeights"/>.</summary>
    public static string? WeightsFile(string name, string? weights, bool randomWeights) =>
        weights ?? (BundledAssets.IsBundled(name) && !randomWeights ? BundledAssets.WeightsOf(name) : null);

    /// <summary>Class names, one per line, from <paramref name="path"/> (the bundled ones for a bundled model); null when there are none.</summary>
    public static string[]? Labels(string? path, string model)
    {
        path ??= BundledAssets.IsBundled(model) ? BundledAssets.LabelsOf(model) : null;
        if (path is null) return null;
        if (!File.Exists(path)) throw new CliException($"Labels file '{path}' does not exist.");
        return File.ReadAllLines(path).Where(l => l.Length > 0).ToArray();
    }
}
