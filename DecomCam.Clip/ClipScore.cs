namespace DecomCamNet.Clip;

/// <summary>Which image–prompt score a <see cref="ClipPrompts"/> target scores, and so which score the CAM methods explain.</summary>
public enum ClipScore
{
    /// <summary>
    /// Cosine similarity of the image and text embeddings (the default; the DecomCAM paper's score, which it weights as
    /// the similarity of each OSSM blend minus that of the blurred image).
    /// </summary>
    Cosine,

    /// <summary>CLIP's logit: <c>logit_scale</c> × cosine (the zero-shot classifier's input to its softmax).</summary>
    Logit,

    /// <summary>
    /// The official DecomCAM code's score: the dot product of the un-normalised image embedding with <c>logit_scale</c> ×
    /// the un-normalised text embedding. Use it to reproduce that code's CLIP maps.
    /// </summary>
    OfficialDot,
}
