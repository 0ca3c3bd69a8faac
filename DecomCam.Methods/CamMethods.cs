using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace DecomCamNet;

/// <summary>Settings for creating any method by name; each method reads the ones it uses.</summary>
/// <param name="BatchSize">Masked or ablated inputs per forward (Score-CAM, UnionCAM, DecomCAM, Ablation-CAM, SS-CAM, IS-CAM); null: each method's own default.</param>
/// <param name="DecomChannels">DecomCAM's P.</param>
/// <param name="DecomComponents">DecomCAM's Q.</param>
/// <param name="DecomIntegration">DecomCAM's integration rule.</param>
/// <param name="UnionTheta">UnionCAM's AMD percentile θ.</param>
/// <param name="MaskedLayout">Memory layout of the masked forwards (Score-CAM, UnionCAM, DecomCAM, Ablation-CAM, SS-CAM, IS-CAM).</param>
/// <param name="Classifier">CAM's final linear layer by dotted name; null: the model's last linear layer.</param>
/// <param name="Seed">The seed of the methods that draw random numbers (Random-CAM, Smooth Grad-CAM++, SS-CAM).</param>
/// <param name="KpcaKernel">KPCA-CAM's kernel.</param>
/// <param name="FemK">FEM's k of the threshold mean + k·std.</param>
/// <param name="FinerComparisons">Finer-CAM's number of similar classes.</param>
/// <param name="FinerAlpha">Finer-CAM's contrast strength α.</param>
/// <param name="RefineBase">RefineCAM's base method (run on each layer, with these settings).</param>
/// <param name="Concepts">Deep Feature Factorization's number of concepts K.</param>
/// <param name="AugSmooth">Augmentation smoothing for any method (<see cref="CamMethod.AugSmooth"/>).</param>
/// <param name="EigenSmooth">Eigen smoothing (<see cref="CamMethod.EigenSmooth"/>); methods it does not apply to throw <see cref="NotSupportedException"/>.</param>
/// <param name="Samples">The noise-sampled methods' sample count (Smooth Grad-CAM++, SS-CAM, IS-CAM); null: each method's default.</param>
/// <param name="NoiseStd">Their noise σ (Smooth Grad-CAM++, SS-CAM); null: each method's default.</param>
public sealed record CamMethodSettings(int? BatchSize = null, int DecomChannels = 500, int DecomComponents = 10,
    DecomIntegration DecomIntegration = DecomIntegration.Paper, double UnionTheta = 10,
    MaskedInputLayout MaskedLayout = MaskedInputLayout.Auto, string? Classifier = null, long Seed = 0,
    KpcaKernel KpcaKernel = KpcaKernel.Sigmoid, double FemK = 2, int FinerComparisons = 3, double FinerAlpha = 1,
    string RefineBase = "gradcam++", int Concepts = 5, bool AugSmooth = false, bool EigenSmooth = false, int? Samples = null,
    double? NoiseStd = null);

/// <summary>Creates methods by their short names (as the CLI's <c>--method</c> takes them).</summary>
public static class CamMethods
{
    /// <summary>The method names: gradcam, gradcam++, xgradcam, layercam, hirescam, eigencam, scorecam, unioncam, decomcam,
    /// cam, eigengradcam, gradcamelementwise, randomcam, ablationcam, kpcacam, fullgrad, smoothgradcam++, sscam, iscam,
    /// finercam, shapleycam, fem, segeigencam, refinecam, dff, guidedbackprop, guidedgradcam.</summary>
    public static IReadOnlyList<string> Names { get; } = new[]
    {
        "gradcam", "gradcam++", "xgradcam", "layercam", "hirescam", "eigencam", "scorecam", "unioncam", "decomcam",
        "cam", "eigengradcam", "gradcamelementwise", "randomcam", "ablationcam", "kpcacam", "fullgrad", "smoothgradcam++", "sscam", "iscam",
        "finercam", "shapleycam", "fem", "segeigencam", "refinecam", "dff", "guidedbackprop", "guidedgradcam",
    };

    /// <summary>Creates the method <paramref name="name"/> (case-insensitive) on <paramref name="model"/> and its target layers.</summary>
    /// <exception cref="ArgumentException">The name is unknown (the message lists the valid ones), or a layer is not in the model.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Samples or NoiseStd is out of range for the method.</exception>
    /// <exception cref="NotSupportedException">EigenSmooth is set for a method it does not apply to.</exception>
    public static ICamMethod Create(string name, nn.Module<Tensor, Tensor> model, IReadOnlyList<CamLayer> layers,
        CamMethodSettings? settings = null, ILogger? logger = null)
    {
        var s = settings ?? new CamMethodSettings();
        // RefineCAM is a meta-method: it creates one base method per layer with these settings.
        if (string.Equals(name, "refinecam", StringComparison.OrdinalIgnoreCase))
            return new RefineCam(model, layers, new RefineCamOptions(s.RefineBase, s), logger);
        CamMethod method = name.ToLowerInvariant() switch
        {
            "gradcam" => new GradCam(model, layers, logger),
            "gradcam++" or "gradcampp" => new GradCamPlusPlus(model, layers, logger),
            "xgradcam" => new XGradCam(model, layers, logger),
            "layercam" => new LayerCam(model, layers, logger),
            "hirescam" => new HiResCam(model, layers, logger),
            "eigencam" => new EigenCam(model, layers, logger),
            "scorecam" => new ScoreCam(model, layers, new ScoreCamOptions(s.BatchSize), logger),
            "unioncam" => new UnionCam(model, layers, new UnionCamOptions(s.UnionTheta, s.BatchSize), logger),
            "decomcam" => new DecomCam(model, layers, new DecomCamOptions(s.DecomChannels, s.DecomComponents, s.DecomIntegration) with { BatchSize = s.BatchSize }, logger),
            "cam" => new ClassicCam(model, layers, new ClassicCamOptions(s.Classifier is null ? null : (CamLayer?)s.Classifier), logger),
            "eigengradcam" => new EigenGradCam(model, layers, logger),
            "gradcamelementwise" => new GradCamElementWise(model, layers, logger),
            "randomcam" => new RandomCam(model, layers, new RandomCamOptions(s.Seed), logger),
            "ablationcam" => new AblationCam(model, layers, new AblationCamOptions(s.BatchSize), logger),
            "kpcacam" => new KpcaCam(model, layers, new KpcaCamOptions(s.KpcaKernel), logger),
            "fullgrad" => new FullGrad(model, layers, logger),
            "smoothgradcam++" or "smoothgradcampp" => new SmoothGradCamPlusPlus(model, layers, Sampled(new SmoothGradCamPlusPlusOptions(Seed: s.Seed), s), logger),
            "sscam" => new SsCam(model, layers, Sampled(new SsCamOptions(Seed: s.Seed, BatchSize: s.BatchSize), s), logger),
            "iscam" => new IsCam(model, layers, Sampled(new IsCamOptions(BatchSize: s.BatchSize), s), logger),
            "finercam" => new FinerCam(model, layers, new FinerCamOptions(s.FinerComparisons, s.FinerAlpha), logger),
            "shapleycam" => new ShapleyCam(model, layers, logger),
            "fem" => new Fem(model, layers, new FemOptions(s.FemK), logger),
            "segeigencam" => new SegEigenCam(model, layers, logger),
            "dff" => new DeepFeatureFactorization(model, layers, new DffOptions(s.Concepts, Classifier: s.Classifier is null ? null : (CamLayer?)s.Classifier), logger),
            "guidedbackprop" => new GuidedBackprop(model, layers, logger),
            "guidedgradcam" => new GuidedGradCam(model, layers, logger),
            _ => throw new ArgumentException($"Unknown method '{name}'. Valid methods: {string.Join(", ", Names)}.", nameof(name)),
        };
        try { method.Configure(s.MaskedLayout, s.AugSmooth, s.EigenSmooth); }
        catch { method.Dispose(); throw; }
        return method;
    }

    private static SmoothGradCamPlusPlusOptions Sampled(SmoothGradCamPlusPlusOptions o, CamMethodSettings s) =>
        o with { Samples = s.Samples ?? o.Samples, NoiseStd = s.NoiseStd ?? o.NoiseStd };

    private static SsCamOptions Sampled(SsCamOptions o, CamMethodSettings s) =>
        o with { Samples = s.Samples ?? o.Samples, NoiseStd = s.NoiseStd ?? o.NoiseStd };

    private static IsCamOptions Sampled(IsCamOptions o, CamMethodSettings s) => o with { Samples = s.Samples ?? o.Samples };
}
