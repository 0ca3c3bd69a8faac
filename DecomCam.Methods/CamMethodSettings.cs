namespace DecomCamNet;

/// <summary>
/// Settings for creating any method by name (<see cref="CamMethods.Create"/>); each method reads the ones it uses. The
/// settings of one method are that method's own options record, whose defaults are the only ones; the few settings that
/// several methods share are here once, and override what those records say when set.
/// </summary>
/// <example><code>
/// var settings = new CamMethodSettings { BatchSize = 16, DecomCam = new DecomCamOptions(P: 256, Q: 8) };
/// using var cam = CamMethods.Create("decomcam", model, [(CamLayer)"layer4"], settings);
/// </code></example>
public sealed record CamMethodSettings
{
    /// <summary>Masked or ablated inputs per forward of every method that batches them (Score-CAM, UnionCAM, DecomCAM,
    /// Ablation-CAM, SS-CAM, IS-CAM); null: each method's own (its options' <c>BatchSize</c>, else by device).</summary>
    public int? BatchSize { get; init; }

    /// <summary>Memory layout of the masked forwards (<see cref="CamMethod.MaskedLayout"/>).</summary>
    public MaskedInputLayout MaskedLayout { get; init; } = MaskedInputLayout.Auto;

    /// <summary>Whether the masked forwards tune what <see cref="BatchSize"/> and <see cref="MaskedLayout"/> leave to
    /// default (<see cref="CamMethod.TuneMaskedForwards"/>); false pins the heuristic defaults.</summary>
    public bool TuneMaskedForwards { get; init; } = true;

    /// <summary>Augmentation smoothing for any method (<see cref="CamMethod.AugSmooth"/>).</summary>
    public bool AugSmooth { get; init; }

    /// <summary>Eigen smoothing (<see cref="CamMethod.EigenSmooth"/>); methods it does not apply to throw
    /// <see cref="NotSupportedException"/>.</summary>
    public bool EigenSmooth { get; init; }

    /// <summary>The seed of the methods that draw random numbers (Random-CAM, Smooth Grad-CAM++, SS-CAM); null: each one's own.</summary>
    public long? Seed { get; init; }

    /// <summary>The sample count of the noise-sampled methods (Smooth Grad-CAM++, SS-CAM, IS-CAM); null: each one's own.</summary>
    public int? Samples { get; init; }

    /// <summary>The noise σ of Smooth Grad-CAM++ and SS-CAM; null: each one's own.</summary>
    public double? NoiseStd { get; init; }

    /// <summary>The final linear layer of CAM and Deep Feature Factorization, by dotted name; null: each one's own (found by name).</summary>
    public string? Classifier { get; init; }

    /// <summary>DecomCAM's P, Q and integration rule.</summary>
    public DecomCamOptions DecomCam { get; init; } = new();

    /// <summary>UnionCAM's AMD percentile θ and baseline.</summary>
    public UnionCamOptions UnionCam { get; init; } = new();

    /// <summary>KPCA-CAM's kernel.</summary>
    public KpcaCamOptions KpcaCam { get; init; } = new();

    /// <summary>FEM's k of the threshold mean + k·std.</summary>
    public FemOptions Fem { get; init; } = new();

    /// <summary>Finer-CAM's number of similar classes and contrast strength α.</summary>
    public FinerCamOptions FinerCam { get; init; } = new();

    /// <summary>Deep Feature Factorization's number of concepts K.</summary>
    public DffOptions Dff { get; init; } = new();

    /// <summary>The attention methods' head fusion, discard ratio and token grid (rollout, gradient rollout, Chefer
    /// relevance; LeGrad reads the token grid).</summary>
    public RolloutOptions Rollout { get; init; } = new();

    /// <summary>LeGrad's final norm, head and blocks, for a model that does not implement <see cref="Models.ITokenClassifier"/>.</summary>
    public LeGradOptions LeGrad { get; init; } = new();

    /// <summary>RefineCAM's base method, by name (run on each layer with these settings).</summary>
    public string RefineBase { get; init; } = new RefineCamOptions().BaseMethod;
}
