namespace DecomCamNet.Evaluation.Scenes;

/// <summary>The JSON shape of <c>scenes.json</c> (camel-case names when serialised).</summary>
internal sealed class SceneManifest
{
    public int Version { get; set; } = 1;

    public string Generator { get; set; } = "DecomCamNet.Evaluation.Scenes.SceneGenerator";

    public int Seed { get; set; }

    public SceneOptions Options { get; set; } = SceneOptions.Default;

    public List<string> Classes { get; set; } = [];

    public string MaskEncoding { get; set; } = "";

    public List<SceneEntry> Scenes { get; set; } = [];
}

/// <summary>One scene in <c>scenes.json</c>.</summary>
internal sealed class SceneEntry
{
    public int Index { get; set; }

    public string Image { get; set; } = "";

    public string Mask { get; set; } = "";

    public int Size { get; set; }

    public List<int> Labels { get; set; } = [];

    public List<SceneObjectEntry> Objects { get; set; } = [];
}

/// <summary>One object in <c>scenes.json</c>; <see cref="MaskValue"/> is its value in the mask PNG.</summary>
internal sealed class SceneObjectEntry
{
    public int MaskValue { get; set; }

    public int ClassIndex { get; set; }

    public string ClassName { get; set; } = "";

    public int[] Box { get; set; } = [];

    public int Pixels { get; set; }

    public int FullPixels { get; set; }

    public double OccludedFraction { get; set; }

    public double CenterX { get; set; }

    public double CenterY { get; set; }

    public double Radius { get; set; }

    public double RotationDegrees { get; set; }

    public double Contrast { get; set; }
}
