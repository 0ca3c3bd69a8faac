using System.IO.Compression;
using DecomCamNet.Tests.Support;

namespace DecomCamNet.Tests.Packaging;

/// <summary>
/// Packs the libraries and the tool (<see cref="PackedFeed"/>), then uses them as a user outside the repository would:
/// a console project that references the packed DecomCam.Methods, .Clip, .Onnx and .Evaluation from the local feed runs
/// the README's line (<c>using var cam = new DecomCam(model, layer); var result = cam.Explain(tensor, target);</c>), a
/// CLIP prompt on random weights, a CAM of an ONNX file and a metric; <c>dotnet tool install</c> from the feed gives a
/// <c>decomcam</c> that runs the README's first command. Proves that the packages restore and carry their metadata,
/// that the class name does not collide with a namespace (CS0118), and that the libstdc++ fix reaches a consumer
/// through buildTransitive.
/// </summary>
[Collection("Packaging")]
public class NuGetConsumerTests : IClassFixture<PackedFeed>
{
    private const string Consumer = """
        using DecomCamNet;
        using DecomCamNet.Clip;
        using DecomCamNet.Clip.Models;
        using DecomCamNet.Evaluation.Metrics;
        using DecomCamNet.Onnx;
        using TorchSharp;
        using static TorchSharp.torch;

        torch.manual_seed(1);
        var model = nn.Sequential(("features", nn.Conv2d(3, 8, 3, padding: 1)), ("relu", nn.ReLU()),
            ("pool", nn.AdaptiveAvgPool2d(1)), ("flat", nn.Flatten()), ("fc", nn.Linear(8, 4)));
        var layer = "relu";
        var tensor = randn(1, 3, 48, 48);
        var target = 2;
        using var cam = new DecomCam(model, layer);
        var result = cam.Explain(tensor, target);
        var inRange = result.Maps.ge(0).logical_and(result.Maps.le(1)).all().item<bool>();
        System.Console.WriteLine($"shape={string.Join("x", result.Maps.shape)} in-range={inRange} ossm={string.Join("x", result.Intermediate("ossm").shape)}");

        using var clip = new ClipModel(new ClipConfig(32, 64, new[] { 1, 1, 1, 1 }, 8, null, 77, 49408, 64, 1, 1));
        clip.eval();
        using var prompts = new ClipPrompts(clip, new[] { "a photo of a cat", "a red car" });
        using var clipCam = new GradCam(clip, "visual.layer4");
        using var clipResult = clipCam.Explain(randn(1, 3, 64, 64), prompts.ZeroShot);
        System.Console.WriteLine($"clip={string.Join("x", clipResult.Maps.shape)}");

        using var onnx = OnnxModel.Load(args[0]);
        var images = randn(2, 3, 48, 48);
        using var onnxCam = new GradCam(onnx, "/block3/block3.2/Relu");
        using var onnxResult = onnxCam.Explain(images, 1);
        using var change = ConfidenceChange.Compute(onnx, images, onnxResult.Maps);
        System.Console.WriteLine($"onnx={string.Join("x", onnxResult.Maps.shape)} average-drop-in-range={change.AverageDrop is >= 0 and <= 100}");
        """;

    private readonly PackedFeed _feed;

    public NuGetConsumerTests(PackedFeed feed) => _feed = feed;

    [Fact]
    [Trait("Category", "Packaging")]
    public void EveryPackagePacksWithoutWarningsAndCarriesItsReadmeAndSymbols()
    {
        foreach (var project in PackedFeed.Projects)
        {
            Assert.DoesNotContain("warning", _feed.PackOutputs[project], StringComparison.OrdinalIgnoreCase);
            Assert.True(File.Exists(Path.Combine(_feed.Feed, $"{project}.{_feed.Version}.snupkg")), $"{project}: no symbols package");
            using var package = ZipFile.OpenRead(Path.Combine(_feed.Feed, $"{project}.{_feed.Version}.nupkg"));
            Assert.NotNull(package.GetEntry("README.md"));
            using var nuspec = new StreamReader(package.GetEntry($"{project}.nuspec")!.Open());
            string metadata = nuspec.ReadToEnd();
            Assert.Contains("<readme>README.md</readme>", metadata);
            Assert.Contains("<license type=\"expression\">MIT</license>", metadata);
            Assert.Contains("<tags>", metadata);
        }
    }

    [Fact]
    [Trait("Category", "Packaging")]
    public void PackedPackagesWorkInAConsumerProject()
    {
        string work = Path.Combine(_feed.Work, "library");
        Directory.CreateDirectory(work);
        var references = string.Join("\n", new[] { "Methods", "Clip", "Onnx", "Evaluation" }
            .Select(p => $"""<PackageReference Include="DecomCam.{p}" Version="{_feed.Version}" />"""));
        string app = ConsumerFolder.WriteApp(work, Consumer, references,
            $"<RestoreAdditionalProjectSources>{_feed.Feed}</RestoreAdditionalProjectSources>");

        string onnx = RepoPaths.Golden("onnx", "shapesnet_opset17.onnx");
        var run = ProcessRunner.Run("dotnet", $"run -c Release -- \"{onnx}\"", app, TimeSpan.FromMinutes(5));
        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains("shape=1x48x48 in-range=True ossm=1x8x48x48", run.Output);
        Assert.Contains("clip=1x64x64", run.Output);
        Assert.Contains("onnx=2x48x48 average-drop-in-range=True", run.Output);
    }

    [Fact]
    [Trait("Category", "Packaging")]
    public void TheToolInstalledFromTheFeedRunsTheReadmesFirstCommand()
    {
        string tools = Path.Combine(_feed.Work, "tools");
        string run = Path.Combine(_feed.Work, "tool-run");
        Directory.CreateDirectory(run);
        var install = ProcessRunner.Run("dotnet", $"tool install --tool-path \"{tools}\" --add-source \"{_feed.Feed}\" DecomCam.Cli --version {_feed.Version}",
            run, TimeSpan.FromMinutes(5));
        Assert.True(install.ExitCode == 0, install.Output);

        var explain = ProcessRunner.Run(Path.Combine(tools, "decomcam"), "explain --method decomcam", run, TimeSpan.FromMinutes(5));
        Assert.True(explain.ExitCode == 0, explain.Output);
        Assert.True(new FileInfo(Path.Combine(run, "decomcam-overlay.png")).Length > 1000, explain.Output);
        Assert.True(new FileInfo(Path.Combine(run, "decomcam-overlay_ossm.png")).Length > 1000, explain.Output);
    }
}
