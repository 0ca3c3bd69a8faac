namespace DecomCamNet.Tests.Packaging;

/// <summary>A temporary folder outside the repository in which a consumer project sees none of the repository's MSBuild files.</summary>
internal static class ConsumerFolder
{
    public static string Create(string prefix)
    {
        string work = Path.Combine(Path.GetTempPath(), prefix + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(work);
        // Empty files stop MSBuild's upward search: the repo's Directory.Build.* and Directory.Packages.props stay out.
        File.WriteAllText(Path.Combine(work, "Directory.Build.props"), "<Project />");
        File.WriteAllText(Path.Combine(work, "Directory.Build.targets"), "<Project />");
        File.WriteAllText(Path.Combine(work, "Directory.Packages.props"), "<Project />");
        return work;
    }

    /// <summary>Writes a net10.0 console project <c>app</c> with <paramref name="program"/> and the given item group contents.</summary>
    public static string WriteApp(string work, string program, string items, string extraProperties = "")
    {
        string app = Path.Combine(work, "app");
        Directory.CreateDirectory(app);
        File.WriteAllText(Path.Combine(app, "Program.cs"), program);
        File.WriteAllText(Path.Combine(app, "app.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally>
                {extraProperties}
              </PropertyGroup>
              <ItemGroup>
                {items}
              </ItemGroup>
            </Project>
            """);
        return app;
    }
}
