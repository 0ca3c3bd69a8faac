using static TorchSharp.torch;

namespace DecomCamNet.Evaluation.Metrics;

/// <summary>
/// The class each image is scored for by a metric: one class per image, given as an <c>int[]</c> or a long tensor [N]
/// (both convert implicitly), or <see cref="Predicted"/>, the model's top class on the unmodified image.
/// </summary>
public sealed class TargetClasses
{
    private readonly int[]? _array;
    private readonly Tensor? _tensor;

    private TargetClasses(int[]? array, Tensor? tensor)
    {
        _array = array;
        _tensor = tensor;
    }

    /// <summary>Each image's highest-scoring class on the unmodified input.</summary>
    public static TargetClasses Predicted { get; } = new(null, null);

    /// <summary>True for <see cref="Predicted"/>.</summary>
    public bool IsPredicted => _array is null && _tensor is null;

    /// <summary>One class per image.</summary>
    public static TargetClasses PerImage(params int[] classes)
    {
        ArgumentNullException.ThrowIfNull(classes);
        var bad = classes.FirstOrDefault(c => c < 0, 0);
        if (bad < 0) throw new ArgumentOutOfRangeException(nameof(classes), bad, "A class index cannot be negative.");
        return new(classes.ToArray(), null);
    }

    /// <summary>One class per image, as an integer tensor [N] on any device (it is not disposed or kept beyond the call).</summary>
    public static TargetClasses PerImage(Tensor classes)
    {
        ArgumentNullException.ThrowIfNull(classes);
        return new(null, classes);
    }

    /// <summary>One class per image.</summary>
    public static implicit operator TargetClasses(int[] classes) => PerImage(classes);

    /// <summary>One class per image, an integer tensor [N].</summary>
    public static implicit operator TargetClasses(Tensor classes) => PerImage(classes);

    /// <inheritdoc />
    public override string ToString() => IsPredicted ? "predicted class" : _array is not null ? $"classes [{string.Join(",", _array)}]" : "classes (tensor)";

    /// <summary>Checks the count (and, for a tensor, rank, dtype and sign) against a batch of <paramref name="n"/> images.</summary>
    internal void Validate(long n, string parameter)
    {
        if (_array is not null && _array.Length != n)
            throw new ArgumentException($"{_array.Length} target classes were given for {n} images; give exactly one per image.", parameter);
        if (_tensor is null) return;
        if (_tensor.IsInvalid) throw new ArgumentException("The target-class tensor has been disposed.", parameter);
        if (_tensor.dim() != 1 || _tensor.shape[0] != n)
            throw new ArgumentException($"Target classes must be a tensor [{n}] (one per image); got shape [{string.Join(",", _tensor.shape)}].", parameter);
        if (_tensor.is_floating_point() || _tensor.is_complex() || _tensor.dtype == ScalarType.Bool)
            throw new ArgumentException($"Target classes must be an integer tensor (int64); got {_tensor.dtype}.", parameter);
        using var scope = NewDisposeScope();
        if (n > 0 && _tensor.min().item<long>() < 0)
            throw new ArgumentOutOfRangeException(parameter, "A target class index is negative.");
    }

    /// <summary>The classes as a long tensor [N] on <paramref name="device"/>, or null for <see cref="Predicted"/>.</summary>
    internal Tensor? ToTensor(Device device) =>
        _array is not null ? tensor(_array.Select(c => (long)c).ToArray(), device: device)
        : _tensor?.to(ScalarType.Int64, device, copy: true);
}
