namespace DecomCamNet.Detection;

/// <summary>How <see cref="DetectionDecoder.Detect"/> filters and suppresses predictions; the defaults are YOLOv5's.</summary>
public sealed record DetectionOptions
{
    /// <summary>Predictions whose best class score is not above this are dropped before suppression.</summary>
    public float ConfidenceThreshold { get; init; } = 0.25f;

    /// <summary>A box suppresses a lower-scoring box of the same class whose IoU with it is above this.</summary>
    public float IouThreshold { get; init; } = 0.45f;

    /// <summary>The most boxes kept per image, highest scores first.</summary>
    public int MaxDetections { get; init; } = 100;

    /// <summary>The most candidates (highest scores first) that enter suppression per image.</summary>
    public int MaxCandidates { get; init; } = 30000;

    /// <summary>Throws when a value is out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A threshold outside [0, 1] or a count below 1.</exception>
    public void Validate()
    {
        if (!(ConfidenceThreshold >= 0 && ConfidenceThreshold <= 1))
            throw new ArgumentOutOfRangeException(nameof(ConfidenceThreshold), ConfidenceThreshold, "The confidence threshold must lie in [0, 1].");
        if (!(IouThreshold >= 0 && IouThreshold <= 1))
            throw new ArgumentOutOfRangeException(nameof(IouThreshold), IouThreshold, "The IoU threshold must lie in [0, 1].");
        if (MaxDetections < 1) throw new ArgumentOutOfRangeException(nameof(MaxDetections), MaxDetections, "Keep at least one detection.");
        if (MaxCandidates < 1) throw new ArgumentOutOfRangeException(nameof(MaxCandidates), MaxCandidates, "Allow at least one candidate.");
    }
}
