using DecomCamNet.Imaging;

namespace DecomCamNet.Clip;

/// <summary>CLIP's image preprocessing: bicubic resize of the shorter side to the model's resolution, centre crop, CLIP's mean and std.</summary>
public static class ClipPreprocessing
{
    /// <summary>CLIP's channel means (R, G, B).</summary>
    public static IReadOnlyList<float> Mean { get; } = Array.AsReadOnly(new[] { 0.48145466f, 0.4578275f, 0.40821073f });

    /// <summary>CLIP's channel standard deviations (R, G, B).</summary>
    public static IReadOnlyList<float> Std { get; } = Array.AsReadOnly(new[] { 0.26862954f, 0.26130258f, 0.27577711f });

    /// <summary>The preprocessing for a model of input size <paramref name="resolution"/> (224 for RN50 and ViT-B, 288 for RN50x4).</summary>
    public static ImagePreprocessing For(int resolution) =>
        new() { Resize = resolution, CenterCrop = resolution, Filter = ResizeFilter.Bicubic, Mean = Mean, Std = Std };
}
