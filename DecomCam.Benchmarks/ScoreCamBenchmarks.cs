using BenchmarkDotNet.Attributes;

namespace DecomCamNet.Benchmarks;

/// <summary>
/// The masked-forward methods (one forward per channel: 512 for ResNet-18's layer4) on ResNet-18, 224x224, batch 1,
/// against one forward of a 32-image batch (their unit of work: Score-CAM should cost about K/32 of those).
/// ResNet-50 (2048 channels) and batch 8 would take minutes per call; they are left out.
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
}
