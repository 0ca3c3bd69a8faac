namespace DecomCamNet.Cli;

/// <summary>The demo model, its class names and the sample image shipped next to the CLI.</summary>
internal static class BundledAssets
{
    public const string DemoModel = "shapesnet";

    private static string Folder => Path.Combine(AppContext.BaseDirectory, "assets");

    public static string Weights => Require("shapesnet.pth");

    public static string Labels => Require("shapesnet.labels.txt");

    public static string SampleImage => Require("sample.png");

    private static string Require(string name)
    {
        var path = Path.Combine(Folder, name);
        if (!File.Exists(path)) throw new CliException($"The bundled asset '{path}' is missing; reinstall the tool or pass --input/--weights.");
        return path;
    }
}
