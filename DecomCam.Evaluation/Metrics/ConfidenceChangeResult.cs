using DecomCamNet.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet.Evaluation.Metrics;

/// <summary>
/// The scores of <see cref="ConfidenceChange"/>, per image ([N] tensors on the images' device) and averaged.
/// Dispose it (or move out the tensors you keep).
/// <list type="bullet">
/// <item><see cref="Drop"/> and <see cref="AverageDrop"/>: the papers' relative form, 100·max(0, Y − O)/Y (Grad-CAM++,
/// Score-CAM, UnionCAM, torch-cam). 0 where Y = 0.</item>
/// <item><see cref="Increase"/> and <see cref="IncreaseInConfidence"/>: 100 where O &gt; Y, else 0, and its mean (the
/// percentage of images whose confidence rose).</item>
/// <item><see cref="Change"/>: O − Y, what pytorch-grad-cam's <c>CamMultImageConfidenceChange</c> returns with a
/// <c>ClassifierOutputSoftmaxTarget</c>; <see cref="AbsoluteDrop"/> = max(0, Y − O), its <c>DropInConfidence</c>
/// (absolute, not divided by Y, not in percent); its <c>IncreaseInConfidence</c> is <see cref="Increase"/>/100.</item>
/// </list>
/// </summary>
public sealed class ConfidenceChangeResult : IDisposable
{
    private static readonly Scalar Hundred = 100.ToScalar();

    internal ConfidenceChangeResult(Tensor original, Tensor perturbed, Tensor classes)
    {
        Original = original;
        Perturbed = perturbed;
        Classes = classes;
        Change = perturbed - original;
        AbsoluteDrop = (original - perturbed).clamp_min(CachedScalars.Zero);
        Drop = where(original.gt(CachedScalars.Zero), (AbsoluteDrop / original).mul(Hundred), zeros_like(original));
        Increase = perturbed.gt(original).to(original.dtype).mul(Hundred);
        AverageDrop = OwnedScalarOps.ToDoubleValue(Drop.mean());
        IncreaseInConfidence = OwnedScalarOps.ToDoubleValue(Increase.mean());
    }

    /// <summary>Y: the target's softmax probability on each input [N].</summary>
    public Tensor Original { get; }

    /// <summary>O: the target's softmax probability on each input × map [N].</summary>
    public Tensor Perturbed { get; }

    /// <summary>The scored class of each image [N] (long).</summary>
    public Tensor Classes { get; }

    /// <summary>O − Y per image [N] (pytorch-grad-cam's <c>CamMultImageConfidenceChange</c>).</summary>
    public Tensor Change { get; }

    /// <summary>max(0, Y − O) per image [N] (pytorch-grad-cam's absolute <c>DropInConfidence</c>).</summary>
    public Tensor AbsoluteDrop { get; }

    /// <summary>100·max(0, Y − O)/Y per image [N], in [0,100].</summary>
    public Tensor Drop { get; }

    /// <summary>100 where O &gt; Y, else 0, per image [N].</summary>
    public Tensor Increase { get; }

    /// <summary>Average Drop: the mean of <see cref="Drop"/>, in [0,100]; lower is better.</summary>
    public double AverageDrop { get; }

    /// <summary>Increase in Confidence: the mean of <see cref="Increase"/>, in [0,100]; higher is better.</summary>
    public double IncreaseInConfidence { get; }

    internal ConfidenceChangeResult MoveOut()
    {
        foreach (var t in Tensors) t.MoveToOuterDisposeScope();
        return this;
    }

    private IEnumerable<Tensor> Tensors => new[] { Original, Perturbed, Classes, Change, AbsoluteDrop, Drop, Increase };

    /// <summary>Disposes the tensors.</summary>
    public void Dispose()
    {
        foreach (var t in Tensors) t.Dispose();
    }
}
