using BenchmarkDotNet.Attributes;

namespace DecomCamNet.Benchmarks;

/// <summary>
/// The baselines and every method with a bounded number of forwards (the gradient family, Eigen-CAM, DecomCAM) on
/// ResNet-18 and ResNet-50, 224x224, batch 1 and 8, CPU with torch's default thread count.
/// </summary>
public class CamBenchmarks
{
    private CamWorkload _workload = null!;

    /// <summary>The model.</summary>
    [Params("resnet18", "resnet50")]
    public string Model { get; set; } = "resnet18";

    /// <summary>Images per call.</summary>
    [Params(1, 8)]
    public int Batch { get; set; } = 1;

    /// <summary>A baseline or a method.</summary>
    [ParamsSource(nameof(Methods))]
    public string Method { get; set; } = "gradcam";

    /// <summary>Baselines, then methods.</summary>
    public static IEnumerable<string> Methods =>
        new[] { "forward", "forward+backward" }.Concat(new[] { "gradcam", "gradcam++", "xgradcam", "layercam", "hirescam", "eigencam", "decomcam" });

    /// <summary>Builds the case.</summary>
    [GlobalSetup]
    public void Setup() => _workload = new CamWorkload(Method, Model, Batch);

    /// <summary>One call.</summary>
    [Benchmark]
    public void Explain() => _workload.Run();

    /// <summary>Records peak memory; releases the case.</summary>
    [GlobalCleanup]
    public void Cleanup() => _workload.Dispose();
}
