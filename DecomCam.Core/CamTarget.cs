using DecomCamNet.Cam;
using DecomCamNet.Native;

using static TorchSharp.torch;

namespace DecomCamNet;

/// <summary>
/// What to explain: the model's top class, one class for the whole batch, one class per image, several classes per image,
/// boxes of a YOLO-style detector (<see cref="Box"/>, <see cref="Boxes"/>), or a custom scalar score computed from the
/// model output. Any of them can read a differentiable head's output instead of
/// the model's (<see cref="On"/>): CLIP prompt targets score the image embedding against text embeddings that way.
/// An <see cref="int"/> converts implicitly to <see cref="Class"/>, an <c>int[]</c> to <see cref="PerSample"/>.
/// </summary>
public sealed partial class CamTarget
{
    private enum Kind { Top, Class, PerSample, Many, Custom, Box, Boxes }

    private readonly Kind _kind;
    private readonly int[][] _classes;
    private readonly Func<Tensor, Tensor>? _score;
    private readonly Func<Tensor, Tensor>? _head;
    private readonly Func<Tensor, Tensor, Tensor>? _rowScore;

    private CamTarget(Kind kind, int[][] classes, Func<Tensor, Tensor>? score, string description, Func<Tensor, Tensor>? head = null,
        Func<Tensor, Tensor, Tensor>? rowScore = null)
    {
        _kind = kind;
        _classes = classes;
        _score = score;
        _head = head;
        _rowScore = rowScore;
        Description = description;
    }

    /// <summary>
    /// This target, applied to <c>head(output)</c> instead of the model output: <paramref name="head"/> is a differentiable
    /// function of the output (batch first) to scores <c>[N,K]</c>, for example the similarities of an image embedding to K
    /// text embeddings, whose "classes" are then the K prompts. Masked and blended inputs are scored through it too.
    /// </summary>
    public CamTarget On(Func<Tensor, Tensor> head, string description)
    {
        ArgumentNullException.ThrowIfNull(head);
        var inner = _head;
        return new(_kind, _classes, _score, description, inner is null ? head : o => head(inner(o)), _rowScore);
    }

    /// <summary>True when the target is a class of the model's own output (not a custom score, not a head's output).</summary>
    internal bool IsModelClass => _kind is not (Kind.Custom or Kind.Box or Kind.Boxes) && _head is null;

    /// <summary>True for the box targets of detectors, which are tied to where the objects are in the input.</summary>
    internal bool IsBox => _kind is Kind.Box or Kind.Boxes;

    /// <summary>A short human-readable form, for logs.</summary>
    public string Description { get; }

    /// <summary>Each image's highest-scoring class (the default).</summary>
    public static CamTarget TopClass { get; } = new(Kind.Top, Array.Empty<int[]>(), null, "top class");

    /// <summary>The same class for every image of the batch.</summary>
    public static CamTarget Class(int classIndex)
    {
        if (classIndex < 0) throw new ArgumentOutOfRangeException(nameof(classIndex), classIndex, "A class index cannot be negative.");
        return new(Kind.Class, new[] { new[] { classIndex } }, null, $"class {classIndex}");
    }

    /// <summary>One class per image; the count must equal the batch size.</summary>
    public static CamTarget PerSample(params int[] classIndices)
    {
        ArgumentNullException.ThrowIfNull(classIndices);
        if (classIndices.Length == 0) throw new ArgumentException("At least one class index is required.", nameof(classIndices));
        CheckNonNegative(classIndices, nameof(classIndices));
        return new(Kind.PerSample, classIndices.Select(c => new[] { c }).ToArray(), null, $"classes [{string.Join(",", classIndices)}]");
    }

    /// <summary>
    /// Several classes per image (one array per image, each non-empty). The result then has one map per (image, class)
    /// pair, image-major: image 0's classes first.
    /// </summary>
    public static CamTarget Many(params int[][] classIndicesPerImage)
    {
        ArgumentNullException.ThrowIfNull(classIndicesPerImage);
        if (classIndicesPerImage.Length == 0 || classIndicesPerImage.Any(c => c is null || c.Length == 0))
            throw new ArgumentException("Give a non-empty array of class indices for every image.", nameof(classIndicesPerImage));
        foreach (var c in classIndicesPerImage) CheckNonNegative(c, nameof(classIndicesPerImage));
        var text = string.Join(";", classIndicesPerImage.Select(c => string.Join(",", c)));
        return new(Kind.Many, classIndicesPerImage.Select(c => c.ToArray()).ToArray(), null, $"classes [{text}]");
    }

    /// <summary>
    /// A custom differentiable score: <paramref name="score"/> maps the model output (batch first) to one scalar per image, shape [N].
    /// </summary>
    public static CamTarget Custom(Func<Tensor, Tensor> score, string description = "custom score")
    {
        ArgumentNullException.ThrowIfNull(score);
        return new(Kind.Custom, Array.Empty<int[]>(), score, description);
    }

    /// <summary>The same class for every image.</summary>
    public static implicit operator CamTarget(int classIndex) => Class(classIndex);

    /// <summary>One class per image.</summary>
    public static implicit operator CamTarget(int[] classIndices) => PerSample(classIndices);

    /// <inheritdoc />
    public override string ToString() => Description;

    /// <summary>
    /// For the top-class target, the classes that <paramref name="result"/> explained, one per image (read through the same
    /// head); any other target unchanged. Repeated passes over modified copies of the input then explain the same classes.
    /// </summary>
    internal CamTarget WithClassesOf(CamResult result)
    {
        if (_kind != Kind.Top || result.Classes is null) return this;
        using var onCpu = result.Classes.cpu();
        var classes = onCpu.data<long>().Select(c => new[] { (int)c }).ToArray();
        return new(Kind.PerSample, classes, null, $"{Description} [{string.Join(",", classes.Select(c => c[0]))}]", _head);
    }

    /// <summary>
    /// Pairs each image of a batch of <paramref name="batch"/> with its target classes.
    /// </summary>
    /// <exception cref="ArgumentException">The number of per-image targets differs from the batch size.</exception>
    internal TargetRows Expand(long batch)
    {
        switch (_kind)
        {
            case Kind.PerSample:
            case Kind.Many:
            case Kind.Boxes:
                if (_classes.Length != batch)
                    throw new ArgumentException($"{_classes.Length} per-image targets were given for a batch of {batch} images; give exactly one entry per image.", "target");
                var rows = _classes.SelectMany((c, i) => c.Select(_ => (long)i)).ToArray();
                return new TargetRows(rows, _classes.SelectMany(c => c).ToArray());
            case Kind.Class:
            case Kind.Box:
                return new TargetRows(Enumerable.Range(0, (int)batch).Select(i => (long)i).ToArray(), Enumerable.Repeat(_classes[0][0], (int)batch).ToArray());
            default:
                return new TargetRows(Enumerable.Range(0, (int)batch).Select(i => (long)i).ToArray(), null);
        }
    }

    /// <summary>
    /// The score of each row's target in <paramref name="output"/> (the model output for the expanded batch), shape [M],
    /// and the class index of each row ([M], long; null for a custom score).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A class index is not below the number of outputs.</exception>
    internal (Tensor Scores, Tensor? Classes) Score(Tensor output, TargetRows rows)
    {
        if (_head is not null) output = _head(output);
        long m = rows.ImageIndex.Length;
        if (_kind == Kind.Custom)
        {
            var s = _score!(output);
            if (s is null || s.dim() != 1 || s.shape[0] != m)
                throw new CamException($"The custom target '{Description}' must return one score per image, shape [{m}]; it returned [{(s is null ? "null" : string.Join(",", s.shape))}].");
            return (s, null);
        }
        if (_kind is Kind.Box or Kind.Boxes)
        {
            var boxClasses = tensor(rows.ClassIndex!.Select(c => (long)c).ToArray(), device: output.device);
            return (_rowScore!(output, OwnedScalarOps.Arange(m, device: output.device)), boxClasses);
        }
        output = AsClassScores(output);
        if (output.dim() != 2 || output.shape[0] != m)
            throw new CamException($"A class target needs model output [N,K] (or [N,K,1,1]); the model returned [{string.Join(",", output.shape)}]. Use CamTarget.Custom for other outputs.");
        long k = output.shape[1];
        Tensor classes;
        if (rows.ClassIndex is null)
        {
            classes = output.argmax(1);
        }
        else
        {
            foreach (var c in rows.ClassIndex) TargetClassRange.Check(c, k, "target");
            classes = tensor(rows.ClassIndex.Select(c => (long)c).ToArray(), device: output.device);
        }
        return (output.gather(1, classes.unsqueeze(1)).squeeze(1), classes);
    }

    /// <summary>
    /// Scores of a batch of (modified) inputs for given target classes: <paramref name="output"/> is the model output [B,K],
    /// <paramref name="classes"/> the class of each of the B rows, <paramref name="rows"/> the row of the expanded batch
    /// each was made from ([B], int64; null: rows 0..B-1). A custom target applies its function to the output; a box
    /// target scores each row against its row's box (its scores are probabilities already, whatever <paramref name="kind"/>).
    /// </summary>
    internal Tensor ScoreRows(Tensor output, Tensor? classes, ScoreKind kind, Tensor? rows = null)
    {
        if (_head is not null) output = _head(output);
        if (_kind is Kind.Box or Kind.Boxes)
            return _rowScore!(output, rows ?? OwnedScalarOps.Arange(output.shape[0], device: output.device));
        if (_kind == Kind.Custom)
        {
            var s = _score!(output);
            if (s.dim() != 1 || s.shape[0] != output.shape[0])
                throw new CamException($"The custom target '{Description}' must return one score per input row, shape [{output.shape[0]}]; it returned [{string.Join(",", s.shape)}].");
            return s;
        }
        output = AsClassScores(output);
        var values = kind == ScoreKind.Probability ? output.softmax(1) : output;
        return values.gather(1, classes!.unsqueeze(1)).squeeze(1);
    }

    /// <summary>Output <c>[N,K,1,...,1]</c> (pooled features, a 1x1-convolution classifier) as <c>[N,K]</c>; other shapes as they are.</summary>
    private static Tensor AsClassScores(Tensor output) =>
        output.dim() > 2 && output.shape.Skip(2).All(d => d == 1) ? output.flatten(1) : output;

    private static void CheckNonNegative(int[] classes, string name)
    {
        var bad = classes.FirstOrDefault(c => c < 0, 0);
        if (bad < 0) throw new ArgumentOutOfRangeException(name, bad, "A class index cannot be negative.");
    }
}

/// <summary>Which score of the model output a masked forward reports for a class target.</summary>
public enum ScoreKind
{
    /// <summary>The target's logit (pre-softmax output).</summary>
    Logit,

    /// <summary>The target's softmax probability over the model's outputs.</summary>
    Probability,
}

/// <summary>The rows of an expanded batch: which input image each row is, and its class when fixed in advance.</summary>
internal sealed record TargetRows(long[] ImageIndex, int[]? ClassIndex)
{
    /// <summary>True when the rows are exactly the images 0..N-1, so the input needs no copying.</summary>
    public bool IsIdentity => ImageIndex.Select((v, i) => v == i).All(x => x);
}
