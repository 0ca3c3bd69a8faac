namespace DecomCamNet.ExplainService.Soak;

/// <summary>One request the soak repeats: a model, a method and any further query parameters.</summary>
/// <param name="Model">The <c>model=</c> value.</param>
/// <param name="Method">The <c>method=</c> value.</param>
/// <param name="Query">Further parameters, already escaped (<c>&amp;prompt=a%20cat</c>), or empty.</param>
public sealed record SoakCase(string Model, string Method, string Query = "")
{
    /// <summary>The request's path and query.</summary>
    public string Path => $"explain?model={Model}&method={Method}{Query}";

    /// <summary>The cases for the served models: Grad-CAM, Score-CAM and DecomCAM on SceneNet and ResNet-18, CLIP prompts, the ONNX model.</summary>
    public static IReadOnlyList<SoakCase> For(ExplainServiceOptions options)
    {
        var cases = new List<SoakCase>();
        foreach (var method in new[] { "gradcam", "scorecam", "decomcam" })
        {
            cases.Add(new SoakCase(ModelCatalog.SceneNet, method));
            if (options.ResNet18Weights is not null) cases.Add(new SoakCase("resnet18", method, "&target=7"));
        }
        if (options.ClipWeights is not null)
        {
            const string prompts = "&prompt=a%20photo%20of%20a%20cat&prompt=a%20red%20car";
            cases.Add(new SoakCase("clip", "gradcam", prompts));
            cases.Add(new SoakCase("clip", "decomcam", prompts + "&target=1"));
        }
        if (options.OnnxModel is not null) cases.Add(new SoakCase("onnx", "gradcam"));
        return cases;
    }
}
