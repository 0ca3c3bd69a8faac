using DecomCamNet.Tests.Support;

namespace DecomCamNet.Tests.Packaging;

/// <summary>
/// Packs every library and the <c>decomcam</c> tool once (packs are slow on 2 cores) into a local folder feed with a
/// version of its own, and removes the feed and those versions from the NuGet cache afterwards.
/// </summary>
public sealed class PackedFeed : IDisposable
{
    /// <summary>The packed projects, dependencies first.</summary>
    public static readonly string[] Projects =
        { "DecomCam.Core", "DecomCam.Batches", "DecomCam.Methods", "DecomCam.Clip", "DecomCam.Onnx", "DecomCam.Evaluation", "DecomCam.Cli" };

    public PackedFeed()
    {
        Work = ConsumerFolder.Create("decomcam-feed");
        Feed = Path.Combine(Work, "feed");
        Version = "0.0.0-test" + DateTime.UtcNow.ToString("yyyyMMddHHmmss");
        foreach (var project in Projects)
        {
            var pack = ProcessRunner.Run("dotnet", $"pack {project}/{project}.csproj -c Release -o \"{Feed}\" -p:Version={Version}", RepoPaths.Root, TimeSpan.FromMinutes(8));
            PackOutputs[project] = pack.Output;
            if (pack.ExitCode != 0) throw new InvalidOperationException($"dotnet pack {project} failed:\n{pack.Output}");
        }
    }

    /// <summary>A temporary folder outside the repository that holds the feed; consumers may use sub-folders.</summary>
    public string Work { get; }

    public string Feed { get; }

    public string Version { get; }

    /// <summary>Each project's <c>dotnet pack</c> output.</summary>
    public Dictionary<string, string> PackOutputs { get; } = new();

    public void Dispose()
    {
        Directory.Delete(Work, recursive: true);
        var cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        foreach (var project in Projects)
        {
            var cached = Path.Combine(cache, project.ToLowerInvariant(), Version);
            if (Directory.Exists(cached)) Directory.Delete(cached, recursive: true);
        }
    }
}
