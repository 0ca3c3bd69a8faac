using DecomCamNet.Tests.Support;

namespace DecomCamNet.Tests.Packaging;

/// <summary>
/// Packs DecomCam.Core and DecomCam.Methods, then builds and runs a separate console project that references the packed
/// DecomCam.Methods from a local folder and runs one explanation with the README's line
/// (<c>using var cam = new DecomCam(model, layer); var result = cam.Explain(tensor, target);</c>).
/// Proves that the packages restore, that the class name does not collide with a namespace (CS0118), and that the
/// libstdc++ fix reaches a consumer through buildTransitive.
/// </summary>
public class NuGetConsumerTests
{
    private const string Consumer = """
        using DecomCamNet;
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
        """;

    [Fact]
    [Trait("Category", "Packaging")]
    public void PackedPackagesWorkInAConsumerProject()
    {
        string work = Path.Combine(Path.GetTempPath(), "decomcam-consumer-" + Guid.NewGuid().ToString("N")[..8]);
        string feed = Path.Combine(work, "feed");
        string app = Path.Combine(work, "app");
        string version = "0.0.0-test" + DateTime.UtcNow.ToString("yyyyMMddHHmmss");
        Directory.CreateDirectory(app);
        try
        {
            foreach (var project in new[] { "DecomCam.Core", "DecomCam.Methods" })
            {
                var pack = ProcessRunner.Run("dotnet", $"pack {project}/{project}.csproj -c Release -o \"{feed}\" -p:Version={version}", RepoPaths.Root, TimeSpan.FromMinutes(5));
                Assert.True(pack.ExitCode == 0, pack.Output);
            }
            Assert.True(File.Exists(Path.Combine(feed, $"DecomCam.Methods.{version}.nupkg")));

            File.WriteAllText(Path.Combine(app, "Program.cs"), Consumer);
            File.WriteAllText(Path.Combine(app, "app.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <Nullable>enable</Nullable>
                    <ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally>
                    <RestoreAdditionalProjectSources>{feed}</RestoreAdditionalProjectSources>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="DecomCam.Methods" Version="{version}" />
                  </ItemGroup>
                </Project>
                """);
            // Keep the repo's Directory.Build.* and Directory.Packages.props out of the consumer's build.
            File.WriteAllText(Path.Combine(work, "Directory.Build.props"), "<Project />");
            File.WriteAllText(Path.Combine(work, "Directory.Build.targets"), "<Project />");
            File.WriteAllText(Path.Combine(work, "Directory.Packages.props"), "<Project />");

            var run = ProcessRunner.Run("dotnet", "run -c Release", app, TimeSpan.FromMinutes(5));
            Assert.True(run.ExitCode == 0, run.Output);
            Assert.Contains("shape=1x48x48 in-range=True ossm=1x8x48x48", run.Output);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
            var cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            foreach (var id in new[] { "decomcam.core", "decomcam.methods" })
            {
                var cached = Path.Combine(cache, id, version);
                if (Directory.Exists(cached)) Directory.Delete(cached, recursive: true);
            }
        }
    }
}
