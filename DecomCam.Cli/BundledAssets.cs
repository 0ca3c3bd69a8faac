namespace DecomCamNet.Cli;

/// <summary>The demo model, its class names and the sample image shipped next to the CLI.</summary>
internal static class BundledAssets
{
    public const string DemoModel = "scenenet";

    private static string Folder => Path.Combine(AppContext.BaseDirectory, "assets");

    public static string Weights => Require("scenenet.safetensors");

    public static string Labels => Require("scenenet.labels.txt");

    public static string SampleImage => Require("sample.png");

    private static string Require(string name)
    {
        var path = Path.Combine(Folder, name);
        if (!File.Exists(path)) throw new CliException($"The bundled asset '{path}' is missing; reinstall the tool or pass --input/--weights.");
        return path;
    }
}
