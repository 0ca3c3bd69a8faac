using BenchmarkDotNet.Attributes;

namespace DecomCamNet.Benchmarks;

/// <summary>
/// The rest of the pytorch-grad-cam / torch-cam family on ResNet-18, 224x224, batch 1, each with its defaults on layer4
/// (RefineCAM on layer4 alone; SS-CAM and IS-CAM with one sample, see <see cref="CamWorkload.SsCamOneSample"/>), against
/// one forward and one forward + backward.
/// </summary>
public class FamilyBenchmarks : WorkloadBenchmark
{
    /// <inheritdoc />
    [Params("resnet18")]
    public override string Model { get; set; } = "resnet18";

    /// <inheritdoc />
    [Params(1)]
    public override int Batch { get; set; } = 1;

    /// <inheritdoc />
    [ParamsSource(nameof(Methods))]
    public override string Method { get; set; } = "cam";

    /// <summary>Baselines, then every CNN method that neither CamBenchmarks nor ScoreCamBenchmarks times.</summary>
    public static IEnumerable<string> Methods =>
        new[] { CamWorkload.Forward, CamWorkload.ForwardBackward }.Concat(CamMethods.Names.Except(
            CamBenchmarks.Methods.Concat(new[] { "scorecam", "unioncam", "sscam", "iscam" }).Concat(CamMethods.AttentionMethods)))
        .Concat(new[] { CamWorkload.SsCamOneSample, CamWorkload.IsCamOneSample });
}
