using System.Globalization;
using DecomCamNet.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet.Cli;

/// <summary>
/// A one-line warning on stderr for each image whose top class a zoo model is unsure of: an image unlike the model's
/// training data (another size, another kind of picture) still gets a "top class", and its map then explains a guess.
/// Multi-label models (the bundled SceneNet and scene ViT) read each logit with a sigmoid, the others all logits with a softmax.
/// </summary>
internal static class ConfidenceWarning
{
    /// <summary>Below this sigmoid probability a multi-label model says its top class is more likely absent than present.</summary>
    public const double MultiLabelThreshold = 0.5;

    /// <summary>Below this softmax probability a single-label model's top class is a weak guess among the others.</summary>
    public const double SingleLabelThreshold = 0.1;

    /// <summary>Writes the warnings for <paramref name="input"/>'s images; nothing when every top class is likely.</summary>
    public static void Write(nn.Module<Tensor, Tensor> model, Tensor input, string modelName, TextWriter stderr)
    {
        bool multiLabel = ModelZoo.IsMultiLabel(modelName);
        double threshold = multiLabel ? MultiLabelThreshold : SingleLabelThreshold;
        float[] top;
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            var logits = model.call(input);
            var probabilities = multiLabel ? logits.sigmoid() : logits.softmax(1);
            top = probabilities.max(1).values.cpu().data<float>().ToArray();
        }
        for (int image = 0; image < top.Length; image++)
            if (top[image] < threshold)
                stderr.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"warning: image {image}: the model gives its top class a {(multiLabel ? "sigmoid" : "softmax")} probability of only {top[image]:F2}; " +
                    $"the image may be unlike what {modelName} was trained on (its preprocessing: {Describe(ModelZoo.Preprocessing(modelName))})."));
    }

    private static string Describe(Imaging.ImagePreprocessing p) =>
        p.Resize is null && p.CenterCrop is null ? "the image as it is"
            : string.Join(", ", new[] { p.Resize is int r ? $"shorter side resized to {r} px" : null, p.CenterCrop is int c ? $"centre crop {c} px" : null }.OfType<string>());
}
