namespace DecomCamNet.Tests.Support;

/// <summary>Locates the repository (the folder holding DecomCam.sln) from the test output folder.</summary>
internal static class RepoPaths
{
    public static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "DecomCam.sln"))) return dir.FullName;
            throw new InvalidOperationException("DecomCam.sln not found above " + AppContext.BaseDirectory);
        }
    }

    public static string Golden(params string[] parts) => Path.Combine(new[] { AppContext.BaseDirectory, "Golden" }.Concat(parts).ToArray());
}
