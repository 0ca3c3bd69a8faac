using BenchmarkDotNet.Attributes;

namespace DecomCamNet.Benchmarks;

/// <summary>
/// The baselines and every method with a bounded number of forwards (the gradient family, Eigen-CAM, DecomCAM) on
/// ResNet-18 and ResNet-50, 224x224, batch 1 and 8, CPU with torch's default thread count.
/// </summary>
public class CamBenchmarks : WorkloadBenchmark
{
    /// <inheritdoc />
    [Params("resnet18", "resnet50")]
    public override string Model { get; set; } = "resnet18";

    /// <inheritdoc />
    [Params(1, 8)]
    public override int Batch { get; set; } = 1;

    /// <inheritdoc />
    [ParamsSource(nameof(Methods))]
    public override string Method { get; set; } = "gradcam";

    /// <summary>Baselines, then methods.</summary>
    public static IEnumerable<string> Methods =>
        new[] { CamWorkload.Forward, CamWorkload.ForwardBackward, CamWorkload.GradCamPlusForwards, "gradcam", "gradcam++", "xgradcam", "layercam", "hirescam", "eigencam", "decomcam" };
}
