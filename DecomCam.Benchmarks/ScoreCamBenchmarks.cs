using BenchmarkDotNet.Attributes;

namespace DecomCamNet.Benchmarks;

/// <summary>
/// The masked-forward methods (one forward per channel) on ResNet-18, 224x224, batch 1, at layer2, layer3 and layer4
/// (K = 128, 256, 512 channels), against one forward of a 32-image batch: Score-CAM should cost about K/32 of those and
/// its peak memory should not grow with K. ResNet-50 (2048 channels at layer4) and batch 8 would take minutes per call;
/// they are left out.
/// </summary>
public class ScoreCamBenchmarks : WorkloadBenchmark
{
    /// <summary>"forward-x32" (one forward of 32 copies of the input), scorecam or unioncam.</summary>
    [Params("forward-x32", "scorecam", "unioncam")]
    public override string Method { get; set; } = "scorecam";

    /// <inheritdoc />
    [Params("resnet18")]
    public override string Model { get; set; } = "resnet18";

    /// <inheritdoc />
    [Params(1)]
    public override int Batch { get; set; } = 1;

    /// <inheritdoc />
    [Params("layer2", "layer3", "layer4")]
    public override string Layer { get; set; } = "layer4";
}
