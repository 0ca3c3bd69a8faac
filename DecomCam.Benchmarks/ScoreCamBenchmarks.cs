using BenchmarkDotNet.Attributes;

namespace DecomCamNet.Benchmarks;

/// <summary>
/// The masked-forward methods (one forward per channel: 512 for ResNet-18's layer4) on ResNet-18, 224x224, batch 1,
/// against one forward of a 32-image batch (their unit of work: Score-CAM should cost about K/32 of those).
/// ResNet-50 (2048 channels) and batch 8 would take minutes per call; they are left out.
/// </summary>
public class ScoreCamBenchmarks
{
    private CamWorkload _workload = null!;

    /// <summary>"forward-x32" (one forward of 32 copies of the input), scorecam or unioncam.</summary>
    [Params("forward-x32", "scorecam", "unioncam")]
    public string Method { get; set; } = "scorecam";

    /// <summary>The model.</summary>
    [Params("resnet18")]
    public string Model { get; set; } = "resnet18";

    /// <summary>Images per call.</summary>
    [Params(1)]
    public int Batch { get; set; } = 1;

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
