namespace DecomCamNet.Cli;

/// <summary>The class target of <c>--target</c>, <c>--sum-targets</c> and <c>--score</c>, for one image or an image set.</summary>
internal static class ClassTargets
{
    /// <summary>
    /// The classes (one for all images, one per image, or their sum), read as logits or as softmax/sigmoid probabilities;
    /// <c>null</c> (each image's top logit) when no class is given and the score is the logit.
    /// </summary>
    public static CamTarget? Create(int[]? targets, bool sum, TargetScore score)
    {
        CamTarget? classes = targets switch
        {
            null => null,
            var t when sum => CamTarget.Sum(t),
            { Length: 1 } t => CamTarget.Class(t[0]),
            var t => CamTarget.PerSample(t),
        };
        return score switch
        {
            TargetScore.Softmax => CamTarget.Softmax(classes),
            TargetScore.Sigmoid => CamTarget.Sigmoid(classes),
            _ => classes,
        };
    }
}
