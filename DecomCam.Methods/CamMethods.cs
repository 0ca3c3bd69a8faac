using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace DecomCamNet;

/// <summary>Creates methods by their short names (as the CLI's <c>--method</c> takes them).</summary>
public static class CamMethods
{
    /// <summary>The method names: gradcam, gradcam++, xgradcam, layercam, hirescam, eigencam, scorecam, unioncam, decomcam,
    /// cam, eigengradcam, gradcamelementwise, randomcam, ablationcam, kpcacam, fullgrad, smoothgradcam++, sscam, iscam,
    /// finercam, shapleycam, fem, segeigencam, refinecam, dff, guidedbackprop, guidedgradcam, rollout, gradrollout, chefer, legrad.</summary>
    public static IReadOnlyList<string> Names { get; } = new[]
    {
        "gradcam", "gradcam++", "xgradcam", "layercam", "hirescam", "eigencam", "scorecam", "unioncam", "decomcam",
        "cam", "eigengradcam", "gradcamelementwise", "randomcam", "ablationcam", "kpcacam", "fullgrad", "smoothgradcam++", "sscam", "iscam",
        "finercam", "shapleycam", "fem", "segeigencam", "refinecam", "dff", "guidedbackprop", "guidedgradcam",
        "rollout", "gradrollout", "chefer", "legrad",
    };

    /// <summary>
    /// The methods that read a transformer's attention probabilities instead of target layers (rollout, gradrollout,
    /// chefer, legrad): they need a model whose attention modules follow the <see cref="Models.AttentionProbabilities"/>
    /// convention, and do not run on a CNN.
    /// </summary>
    public static IReadOnlyList<string> AttentionMethods { get; } = new[] { "rollout", "gradrollout", "chefer", "legrad" };

    /// <summary>Other spellings of method names (shells and file names without <c>+</c>), and the names they stand for.</summary>
    public static IReadOnlyDictionary<string, string> Aliases { get; } = new Dictionary<string, string>
    {
        ["gradcampp"] = "gradcam++",
        ["smoothgradcampp"] = "smoothgradcam++",
    };

    /// <summary>The name in <see cref="Names"/> that <paramref name="name"/> (any case, or an alias) stands for; null if none.</summary>
    public static string? Canonical(string name)
    {
        string lower = name.ToLowerInvariant();
        return Aliases.TryGetValue(lower, out var named) ? named : Names.Contains(lower) ? lower : null;
    }

    /// <summary>Creates the method <paramref name="name"/> (case-insensitive) on <paramref name="model"/> and its target layers.</summary>
    /// <exception cref="ArgumentException">The name is unknown (the message lists the valid ones), or a layer is not in the model.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Samples or NoiseStd is out of range for the method.</exception>
    /// <exception cref="NotSupportedException">EigenSmooth is set for a method it does not apply to.</exception>
    public static ICamMethod Create(string name, nn.Module<Tensor, Tensor> model, IReadOnlyList<CamLayer> layers,
        CamMethodSettings? settings = null, ILogger? logger = null)
    {
        var s = settings ?? new CamMethodSettings();
        string canonical = Canonical(name) ?? throw new ArgumentException($"Unknown method '{name}'. Valid methods: {string.Join(", ", Names)}.", nameof(name));
        // RefineCAM is a meta-method: it creates one base method per layer with these settings.
        if (canonical == "refinecam") return new RefineCam(model, layers, new RefineCamOptions(s.RefineBase, s), logger);
        CamLayer? classifier = s.Classifier is null ? null : (CamLayer?)s.Classifier;
        CamMethod method = canonical switch
        {
            "gradcam" => new GradCam(model, layers, logger),
            "gradcam++" => new GradCamPlusPlus(model, layers, logger),
            "xgradcam" => new XGradCam(model, layers, logger),
            "layercam" => new LayerCam(model, layers, logger),
            "hirescam" => new HiResCam(model, layers, logger),
            "eigencam" => new EigenCam(model, layers, logger),
            "scorecam" => new ScoreCam(model, layers, new ScoreCamOptions(s.BatchSize), logger),
            "unioncam" => new UnionCam(model, layers, s.UnionCam with { BatchSize = s.BatchSize ?? s.UnionCam.BatchSize }, logger),
            "decomcam" => new DecomCam(model, layers, s.DecomCam with { BatchSize = s.BatchSize ?? s.DecomCam.BatchSize }, logger),
            "cam" => new ClassicCam(model, layers, new ClassicCamOptions(classifier), logger),
            "eigengradcam" => new EigenGradCam(model, layers, logger),
            "gradcamelementwise" => new GradCamElementWise(model, layers, logger),
            "randomcam" => new RandomCam(model, layers, new RandomCamOptions(s.Seed ?? new RandomCamOptions().Seed), logger),
            "ablationcam" => new AblationCam(model, layers, new AblationCamOptions(s.BatchSize), logger),
            "kpcacam" => new KpcaCam(model, layers, s.KpcaCam, logger),
            "fullgrad" => new FullGrad(model, layers, logger),
            "smoothgradcam++" => new SmoothGradCamPlusPlus(model, layers, Sampled(new SmoothGradCamPlusPlusOptions(), s), logger),
            "sscam" => new SsCam(model, layers, Sampled(new SsCamOptions(BatchSize: s.BatchSize), s), logger),
            "iscam" => new IsCam(model, layers, Sampled(new IsCamOptions(BatchSize: s.BatchSize), s), logger),
            "finercam" => new FinerCam(model, layers, s.FinerCam, logger),
            "shapleycam" => new ShapleyCam(model, layers, logger),
            "fem" => new Fem(model, layers, s.Fem, logger),
            "segeigencam" => new SegEigenCam(model, layers, logger),
            "dff" => new DeepFeatureFactorization(model, layers, s.Dff with { Classifier = classifier ?? s.Dff.Classifier }, logger),
            "guidedbackprop" => new GuidedBackprop(model, layers, logger),
            "guidedgradcam" => new GuidedGradCam(model, layers, logger),
            "rollout" => new AttentionRollout(model, s.Rollout, layers, logger),
            "gradrollout" => new GradientRollout(model, s.Rollout, layers, logger),
            "chefer" => new CheferRelevance(model, s.Rollout, layers, logger),
            "legrad" => new LeGrad(model, s.LeGrad, s.Rollout, layers, logger),
            _ => throw new InvalidOperationException($"{canonical} is in Names but not created here."),
        };
        try { method.Configure(s.MaskedLayout, s.TuneMaskedForwards, s.AugSmooth, s.EigenSmooth); }
        catch { method.Dispose(); throw; }
        return method;
    }

    private static SmoothGradCamPlusPlusOptions Sampled(SmoothGradCamPlusPlusOptions o, CamMethodSettings s) =>
        o with { Samples = s.Samples ?? o.Samples, NoiseStd = s.NoiseStd ?? o.NoiseStd, Seed = s.Seed ?? o.Seed };

    private static SsCamOptions Sampled(SsCamOptions o, CamMethodSettings s) =>
        o with { Samples = s.Samples ?? o.Samples, NoiseStd = s.NoiseStd ?? o.NoiseStd, Seed = s.Seed ?? o.Seed };

    private static IsCamOptions Sampled(IsCamOptions o, CamMethodSettings s) => o with { Samples = s.Samples ?? o.Samples };
}
