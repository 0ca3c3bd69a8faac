namespace DecomCamNet.Cli;

/// <summary>The demo models (the classifier and the detector), their class names and the sample image shipped next to the CLI.</summary>
internal static class BundledAssets
{
    public const string DemoModel = "scenenet";

    /// <summary>The demo detector, whose weights and class names are bundled too.</summary>
    public const string DetectorModel = "scenedet";

    /// <summary>True for the bundled models (their weights and labels ship with the tool).</summary>
    public static bool IsBundled(string model) => model is DemoModel or DetectorModel;

    /// <summary>The bundled weights of <paramref name="model"/> (<see cref="IsBundled"/>).</summary>
    public static string WeightsOf(string model) => Require($"{model}.safetensors");

    /// <summary>The bundled class names of <paramref name="model"/> (<see cref="IsBundled"/>).</summary>
    public static string LabelsOf(string model) => Require($"{model}.labels.txt");

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
