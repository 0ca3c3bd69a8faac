using DecomCamNet.Tests.Support;

namespace DecomCamNet.Tests.Packaging;

/// <summary>
/// A console project outside the repository that references <c>DecomCam.Methods.csproj</c> by ProjectReference builds
/// and runs with no manual step: the libstdc++ fix reaches it through DecomCam.Core's copy-to-output item
/// (DecomCam.Core/NativeForProjectReferences.targets), not through the repository's Directory.Build.targets.
/// </summary>
[Collection("Packaging")]
public class ProjectReferenceConsumerTests
{
    private const string Consumer = """
        using DecomCamNet;
        using TorchSharp;
        using static TorchSharp.torch;

        torch.manual_seed(1);
        var model = nn.Sequential(("features", nn.Conv2d(3, 8, 3, padding: 1)), ("relu", nn.ReLU()),
            ("pool", nn.AdaptiveAvgPool2d(1)), ("flat", nn.Flatten()), ("fc", nn.Linear(8, 4)));
        using var cam = new DecomCam(model, "relu");
        using var result = cam.Explain(randn(1, 3, 40, 40), 2);
        var inRange = result.Maps.ge(0).logical_and(result.Maps.le(1)).all().item<bool>();
        System.Console.WriteLine($"shape={string.Join("x", result.Maps.shape)} in-range={inRange}");
        """;

    [Fact]
    [Trait("Category", "Packaging")]
    public void AConsoleAppReferencingTheMethodsProjectBuildsAndRuns()
    {
        string work = ConsumerFolder.Create("decomcam-projectref");
        try
        {
            string methods = Path.Combine(RepoPaths.Root, "DecomCam.Methods", "DecomCam.Methods.csproj");
            string app = ConsumerFolder.WriteApp(work, Consumer, $"""<ProjectReference Include="{methods}" />""");
            var run = ProcessRunner.Run("dotnet", "run -c Release", app, TimeSpan.FromMinutes(5));
            Assert.True(run.ExitCode == 0, run.Output);
            Assert.Contains("shape=1x40x40 in-range=True", run.Output);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
