using DecomCamNet.Cam;
using DecomCamNet.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet.Evaluation.Metrics;

/// <summary>Checks metric inputs before any native work, with messages that name the bad shape or range.</summary>
internal static class MetricInputs
{
    /// <summary>Slack on the [0,1] range of maps, for rounding in upstream normalisation.</summary>
    private const double RangeSlack = 1e-5;

    public static string Shape(Tensor t) => $"[{string.Join(",", t.shape)}]";

    public static void Model(nn.Module? model, string parameter = "model")
    {
        if (model is null) throw new ArgumentNullException(parameter);
    }

    /// <summary>An image batch [N,C,H,W], floating point, finite, not empty.</summary>
    public static void Images(Tensor? images, string parameter = "images")
    {
        if (images is null) throw new ArgumentNullException(parameter);
        if (images.IsInvalid) throw new ArgumentException("The image tensor has been disposed.", parameter);
        if (images.dim() != 4)
            throw new ArgumentException($"Images must be a batch [N,C,H,W]; got shape {Shape(images)}. Use unsqueeze(0) for a single image.", parameter);
        if (images.numel() == 0) throw new ArgumentException($"The image batch {Shape(images)} is empty.", parameter);
        if (!images.is_floating_point())
            throw new ArgumentException($"Images must be floating point; got {images.dtype}.", parameter);
        using var scope = NewDisposeScope();
        if (!isfinite(images).all().item<bool>()) throw new ArgumentException("The images contain NaN or infinity.", parameter);
    }

    /// <summary>
    /// Maps [N,H,W] matching <paramref name="n"/>, <paramref name="height"/>, <paramref name="width"/>, finite and in [0,1].
    /// </summary>
    public static void Maps(Tensor? maps, long n, long height, long width, string parameter = "maps")
    {
        if (maps is null) throw new ArgumentNullException(parameter);
        if (maps.IsInvalid) throw new ArgumentException("The map tensor has been disposed.", parameter);
        if (maps.dim() != 3 || maps.shape[0] != n || maps.shape[1] != height || maps.shape[2] != width)
            throw new ArgumentException($"Maps must be [N,H,W] = [{n},{height},{width}] (one per image, at the image's size); got {Shape(maps)}.", parameter);
        if (!maps.is_floating_point()) throw new ArgumentException($"Maps must be floating point; got {maps.dtype}.", parameter);
        using var scope = NewDisposeScope();
        if (!isfinite(maps).all().item<bool>()) throw new ArgumentException("The maps contain NaN or infinity.", parameter);
        double min = OwnedScalarOps.ToDoubleValue(maps.min()), max = OwnedScalarOps.ToDoubleValue(maps.max());
        if (min < -RangeSlack || max > 1 + RangeSlack)
            throw new ArgumentOutOfRangeException(parameter, $"Maps must lie in [0,1]; their values span [{min}, {max}]. Normalise them (CamKernels.NormalizePerImage).");
    }

    /// <summary>Ground-truth masks [N,H,W], boolean or with values 0 and 1 only.</summary>
    public static void Masks(Tensor? masks, long n, long height, long width, string parameter = "masks")
    {
        if (masks is null) throw new ArgumentNullException(parameter);
        if (masks.IsInvalid) throw new ArgumentException("The mask tensor has been disposed.", parameter);
        if (masks.dim() != 3 || masks.shape[0] != n || masks.shape[1] != height || masks.shape[2] != width)
            throw new ArgumentException($"Masks must be [N,H,W] = [{n},{height},{width}] like the maps; got {Shape(masks)}.", parameter);
        if (masks.dtype == ScalarType.Bool) return;
        using var scope = NewDisposeScope();
        if (!(masks.eq(CachedScalars.Zero) | masks.eq(CachedScalars.One)).all().item<bool>())
            throw new ArgumentException("Masks must be boolean or hold only the values 0 and 1.", parameter);
    }

    /// <summary>
    /// The largest batch size the tuner may try for a metric (<see cref="ModelScorer.Run"/>): on a CPU twice the default
    /// (metrics do not measure the model's activations, so they stay near the default's memory), on a GPU
    /// <see cref="MaskedForwards.GpuBatchSize"/>.
    /// </summary>
    public static int MaxTunedBatchSize(Device device) => device.type == DeviceType.CUDA ? MaskedForwards.GpuBatchSize : 16;

    /// <summary>A metric's explicit batch size, checked (null: tuned from <see cref="BatchSize"/>'s default).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A batch size below 1.</exception>
    public static int? Checked(int? batchSize, string parameter = "batchSize")
    {
        if (batchSize is { } b && b < 1) throw new ArgumentOutOfRangeException(parameter, b, "The batch size must be at least 1.");
        return batchSize;
    }

    /// <summary>The default batch size of the metrics: 8 on a CPU, <see cref="MaskedForwards.GpuBatchSize"/> on a GPU.</summary>
    public static int BatchSize(Device device) => device.type == DeviceType.CUDA ? MaskedForwards.GpuBatchSize : 8;
}
