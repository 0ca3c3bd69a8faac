namespace DecomCamNet.Cli;

/// <summary>The demo models (SceneNet and the scene ViT, which share the class names), their class names and the sample
/// image shipped next to the CLI.</summary>
internal static class BundledAssets
{
    /// <summary>The model the commands use without <c>--model</c>.</summary>
    public const string DemoModel = "scenenet";

    /// <summary>The trained scene ViT (<see cref="Models.VisionTransformerConfig.SceneVit"/>).</summary>
    public const string DemoVit = "scenevit";

    private static string Folder => Path.Combine(AppContext.BaseDirectory, "assets");

    /// <summary>Whether <paramref name="model"/> (a zoo name, any case) has bundled weights and class names.</summary>
    public static bool IsBundled(string model) =>
        string.Equals(model, DemoModel, StringComparison.OrdinalIgnoreCase) || string.Equals(model, DemoVit, StringComparison.OrdinalIgnoreCase);

    /// <summary>The bundled weights of <paramref name="model"/>, one of <see cref="DemoModel"/> and <see cref="DemoVit"/>.</summary>
    public static string Weights(string model) => Require(model.ToLowerInvariant() + ".safetensors");

    public static string Labels => Require("scenenet.labels.txt");

    public static string SampleImage => Require("sample.png");

    private static string Require(string name)
    {
        var path = Path.Combine(Folder, name);
        if (!File.Exists(path)) throw new CliException($"The bundled asset '{path}' is missing; reinstall the tool or pass --input/--weights.");
        return path;
    }
}
