using BenchmarkDotNet.Attributes;

namespace DecomCamNet.Benchmarks;

/// <summary>
/// CLIP image encoders (random weights) explained for one text prompt (cosine similarity, the zero-shot choice): a
/// forward, Grad-CAM and DecomCAM on the default layers (RN50: visual.layer4; ViT-B/32: the last block's ln_1 through
/// the token reshape), 224x224, batch 1.
/// </summary>
public class ClipBenchmarks : WorkloadBenchmark
{
    /// <inheritdoc />
    [Params("clip-rn50", "clip-vit-b32")]
    public override string Model { get; set; } = "clip-rn50";

    /// <inheritdoc />
    [Params(1)]
    public override int Batch { get; set; } = 1;

    /// <inheritdoc />
    [Params(CamWorkload.Forward, "gradcam", "decomcam")]
    public override string Method { get; set; } = "decomcam";
}
