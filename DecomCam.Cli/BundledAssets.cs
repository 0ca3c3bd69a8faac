namespace DecomCamNet.Cli;

/// <summary>The demo models (SceneNet, the scene ViT, which shares SceneNet's class names, and the detector), their class
/// names and the sample image shipped next to the CLI.</summary>
internal static class BundledAssets
{
    /// <summary>The model the commands use without <c>--model</c>.</summary>
    public const string DemoModel = "scenenet";

    /// <summary>The trained scene ViT (<see cref="Models.VisionTransformerConfig.SceneVit"/>).</summary>
    public const string DemoVit = "scenevit";

    /// <summary>The demo detector, whose weights and class names are bundled too.</summary>
    public const string DetectorModel = "scenedet";

    /// <summary>Whether <paramref name="model"/> (a zoo name, any case) has bundled weights and class names.</summary>
    public static bool IsBundled(string model) => model.ToLowerInvariant() is DemoModel or DemoVit or DetectorModel;

    /// <summary>The bundled weights of <paramref name="model"/> (<see cref="IsBundled"/>).</summary>
    public static string WeightsOf(string model) => Require($"{model.ToLowerInvariant()}.safetensors");

    /// <summary>The bundled class names of <paramref name="model"/> (<see cref="IsBundled"/>; the scene ViT uses SceneNet's).</summary>
    public static string LabelsOf(string model) =>
        Require($"{(model.ToLowerInvariant() == DemoVit ? DemoModel : model.ToLowerInvariant())}.labels.txt");

    private static string Folder => Path.Combine(AppContext.BaseDirectory, "assets");

    public static string Weights => WeightsOf(DemoModel);

    public static string Labels => LabelsOf(DemoModel);

    public static string SampleImage => Require("sample.png");

    private static string Require(string name)
    {
        var path = Path.Combine(Folder, name);
        if (!File.Exists(path)) throw new CliException($"The bundled asset '{path}' is missing; reinstall the tool or pass --input/--weights.");
        return path;
    }
}
