using DecomCamNet.Cam;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet;

/// <summary>
/// Targets beyond one logit, each named after the pytorch-grad-cam target it corresponds to.
/// </summary>
public sealed partial class CamTarget
{
    /// <summary>
    /// The softmax probability of the classes of <paramref name="classes"/> (default: each image's top class) instead of the
    /// logit; pytorch-grad-cam's <c>ClassifierOutputSoftmaxTarget</c>. The gradient then also pushes the other classes down.
    /// </summary>
    public static CamTarget Softmax(CamTarget? classes = null) =>
        (classes ?? TopClass).On(o => o.softmax(1), $"softmax of {(classes ?? TopClass).Description}");

    /// <summary>
    /// The sigmoid probability of the classes of <paramref name="classes"/> (default: each image's top logit), for
    /// multi-label models with one independent logit per class (pytorch-grad-cam's <c>BinaryClassifierOutputTarget</c>
    /// generalised to several labels).
    /// </summary>
    public static CamTarget Sigmoid(CamTarget? classes = null) =>
        (classes ?? TopClass).On(o => o.sigmoid(), $"sigmoid of {(classes ?? TopClass).Description}");

    /// <summary>
    /// The sum of the logits of several classes, one map for all of them (for example every dog breed of ImageNet);
    /// like summing pytorch-grad-cam's <c>ClassifierOutputTarget</c>s.
    /// </summary>
    /// <exception cref="ArgumentException">No class, or a negative one.</exception>
    public static CamTarget Sum(params int[] classIndices)
    {
        ArgumentNullException.ThrowIfNull(classIndices);
        if (classIndices.Length == 0) throw new ArgumentException("Give at least one class to sum.", nameof(classIndices));
        CheckNonNegative(classIndices, nameof(classIndices));
        var indices = classIndices.Select(c => (long)c).ToArray();
        return Custom(output =>
        {
            var o = AsClassScores(output);
            if (o.dim() != 2) throw new CamException($"CamTarget.Sum needs model output [N,K] (or [N,K,1,1]); the model returned [{string.Join(",", o.shape)}].");
            TargetClassRange.Check(indices.Max(), o.shape[1], "target");
            return o.index_select(1, tensor(indices, device: o.device)).sum(new long[] { 1 });
        }, $"sum of classes [{string.Join(",", classIndices)}]");
    }

    /// <summary>
    /// The cosine similarity of the model output (an embedding, flattened per image) to <paramref name="embedding"/>:
    /// "which pixels make this image match that one" (image search, deduplication); pytorch-grad-cam's
    /// <c>SimilarityToConceptTarget</c>. The values are copied, so the tensor may be disposed after the call.
    /// </summary>
    /// <exception cref="ArgumentException">The embedding is empty or not finite.</exception>
    public static CamTarget Similarity(Tensor embedding)
    {
        ArgumentNullException.ThrowIfNull(embedding);
        float[] values;
        using (var flat = embedding.detach().to_type(ScalarType.Float32).cpu().flatten())
            values = flat.data<float>().ToArray();
        if (values.Length == 0 || values.Any(v => !float.IsFinite(v)))
            throw new ArgumentException("The reference embedding must be non-empty and finite.", nameof(embedding));
        return Custom(o =>
        {
            var flat = o.flatten(1);
            if (flat.shape[1] != values.Length)
                throw new CamException($"CamTarget.Similarity: the model output has {flat.shape[1]} values per image; the reference embedding has {values.Length}.");
            var reference = tensor(values, device: o.device).to_type(flat.dtype).unsqueeze(0);
            return nn.functional.cosine_similarity(flat, reference, 1);
        }, "cosine similarity to a reference embedding");
    }

    /// <summary>
    /// For segmentation outputs <c>[N,K,H,W]</c>: the sum of class <paramref name="classIndex"/>'s logits over
    /// <paramref name="mask"/> (<c>[H,W]</c>, true = counted), or over the pixels whose predicted class (argmax over K) is
    /// that class when no mask is given; pytorch-grad-cam's <c>SemanticSegmentationTarget</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A negative class.</exception>
    public static CamTarget Segmentation(int classIndex, bool[,]? mask = null)
    {
        if (classIndex < 0) throw new ArgumentOutOfRangeException(nameof(classIndex), classIndex, "A class index cannot be negative.");
        bool[]? flatMask = mask?.Cast<bool>().ToArray();
        long[] maskShape = mask is null ? Array.Empty<long>() : new long[] { mask.GetLength(0), mask.GetLength(1) };
        return Custom(o =>
        {
            if (o.dim() != 4) throw new CamException($"CamTarget.Segmentation needs model output [N,K,H,W]; the model returned [{string.Join(",", o.shape)}].");
            TargetClassRange.Check(classIndex, o.shape[1], "target");
            var logits = o.select(1, classIndex);
            Tensor where;
            if (flatMask is null)
            {
                using var index = classIndex.ToScalar();
                where = o.argmax(1).eq(index);
            }
            else
            {
                if (maskShape[0] != o.shape[2] || maskShape[1] != o.shape[3])
                    throw new CamException($"CamTarget.Segmentation: the mask is {maskShape[0]}x{maskShape[1]}; the output is {o.shape[2]}x{o.shape[3]}.");
                where = tensor(flatMask, maskShape, device: o.device).unsqueeze(0);
            }
            return (logits * where.to_type(logits.dtype)).sum(new long[] { 1, 2 });
        }, mask is null ? $"class {classIndex} over its predicted pixels" : $"class {classIndex} over a mask");
    }
}
