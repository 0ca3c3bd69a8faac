using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace DecomCamNet.Benchmarks;

/// <summary>
/// The cases that have a Python anchor (anchors-in-benchmarks.sh fills the anchor columns): Grad-CAM against
/// pytorch-grad-cam, DecomCAM in the official code's mode against the official code, and DecomCAM's floor
/// (<see cref="CamWorkload.GradCamPlusBatchOf10"/>) against the same anchor; ResNet-18 and ResNet-50, batch 1, layer4.
/// </summary>
[Config(typeof(AnchorConfig))]
public class AnchorBenchmarks : WorkloadBenchmark
{
    /// <inheritdoc />
    [Params("resnet18", "resnet50")]
    public override string Model { get; set; } = "resnet18";

    /// <inheritdoc />
    [Params(1)]
    public override int Batch { get; set; } = 1;

    /// <inheritdoc />
    [Params("gradcam", CamWorkload.DecomCamOfficial, CamWorkload.GradCamPlusBatchOf10)]
    public override string Method { get; set; } = "gradcam";
}

/// <summary>Score-CAM against pytorch-grad-cam (batches of 32 there) on ResNet-18's layer4: our default and batches of 32.</summary>
[Config(typeof(AnchorConfig))]
public class AnchorScoreCamBenchmarks : WorkloadBenchmark
{
    /// <inheritdoc />
    [Params("resnet18")]
    public override string Model { get; set; } = "resnet18";

    /// <inheritdoc />
    [Params(1)]
    public override int Batch { get; set; } = 1;

    /// <inheritdoc />
    [Params("scorecam", CamWorkload.ScoreCamBatch32)]
    public override string Method { get; set; } = "scorecam";
}

/// <summary>Adds the anchor columns.</summary>
internal sealed class AnchorConfig : ManualConfig
{
    public AnchorConfig() => AddColumn(AnchorColumn.Time, AnchorColumn.Ratio);
}
