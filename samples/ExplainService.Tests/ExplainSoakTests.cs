using System.Reflection;
using DecomCamNet.ExplainService.Soak;
using static TorchSharp.torch;

namespace DecomCamNet.ExplainService.Tests;

/// <summary>
/// The soak for 30 seconds with 2 request loops over every model (SceneNet, ResNet-18, CLIP, the ONNX ResNet-18 body) and
/// Grad-CAM, Score-CAM and DecomCAM, with forced collections beside it: every map equals the one served alone. Alone in
/// its collection: it seeds torch's global generator and takes the machine's cores.
/// </summary>
[Collection(SeededTorchCollection.Name)]
public sealed class ExplainSoakTests
{
    private static string Onnx => typeof(ExplainSoakTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "ResNet18Onnx").Value!;

    [Fact]
    public void ThirtySecondsOfConcurrentRequestsServeEveryMapAsAloneWithNoErrors()
    {
        int threads = get_num_threads();
        var log = new StringWriter();
        var options = new SoakOptions { Duration = TimeSpan.FromSeconds(30), Threads = 2, Workers = 2, OnnxModel = Onnx };
        SoakResult result;
        try
        {
            result = ExplainSoak.Run(options, log);
        }
        finally
        {
            set_num_threads(threads); // the workers set libtorch's default for threads that start later
        }
        string report = log + result.Line;
        Assert.True(result.Passed, report);
        Assert.Equal((0L, 0L, 0L), (result.Mismatches, result.Errors, result.Crashes));
        Assert.True(result.Requests >= 9, report); // at least one round over the nine cases
        Assert.True(result.Collections > 10, report); // the collector really ran beside the requests
        Assert.InRange(result.LargestDifference, 0, options.Tolerance);
        Assert.StartsWith("soak: ", result.Line);
    }
}
