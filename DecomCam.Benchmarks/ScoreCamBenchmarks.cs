using BenchmarkDotNet.Attributes;

namespace DecomCamNet.Benchmarks;

/// <summary>
/// The masked-forward methods (one forward per channel) on ResNet-18, 224x224, batch 1, at layer2, layer3 and layer4
/// (K = 128, 256, 512 channels), against K/32 forwards of a 32-image batch (Score-CAM's target). Peak memory against K
/// in separate processes: memory-vs-k.sh. ResNet-50 (2048 channels at layer4) and batch 8 would take minutes per call;
/// they are left out.
/// </summary>
public class ScoreCamBenchmarks : WorkloadBenchmark
{
    /// <summary>The baseline (K/32 forwards of 32 images), scorecam or unioncam.</summary>
    [Params(CamWorkload.ChannelForwards, "scorecam", "unioncam")]
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
