using DecomCamNet.Native;
using static TorchSharp.torch;

namespace DecomCamNet.Evaluation.Metrics;

/// <summary>
/// The curves of <see cref="DeletionInsertion"/>: the target's softmax probability at each pixel fraction, per image, and
/// the area under each curve. Tensors on the images' device; dispose the result (or move out what you keep).
/// </summary>
public sealed class PerturbationCurveResult : IDisposable
{
    internal PerturbationCurveResult(Tensor fractions, Tensor curves, Tensor classes)
    {
        Fractions = fractions;
        Curves = curves;
        Classes = classes;
        Auc = trapezoid(curves, fractions.to(curves.dtype), dim: 1);
        MeanAuc = OwnedScalarOps.ToDoubleValue(Auc.mean());
    }

    /// <summary>The fraction of pixels removed (deletion) or inserted (insertion) at each step [Steps+1], from 0 to 1.</summary>
    public Tensor Fractions { get; }

    /// <summary>The target's softmax probability at each step [N, Steps+1].</summary>
    public Tensor Curves { get; }

    /// <summary>The scored class of each image [N] (long).</summary>
    public Tensor Classes { get; }

    /// <summary>The area under each curve over the pixel fraction, by the trapezoid rule [N], in [0,1].</summary>
    public Tensor Auc { get; }

    /// <summary>The mean of <see cref="Auc"/>: lower is better for deletion, higher for insertion.</summary>
    public double MeanAuc { get; }

    internal PerturbationCurveResult MoveOut()
    {
        foreach (var t in Tensors) t.MoveToOuterDisposeScope();
        return this;
    }

    private IEnumerable<Tensor> Tensors => new[] { Fractions, Curves, Classes, Auc };

    /// <summary>Disposes the tensors.</summary>
    public void Dispose()
    {
        foreach (var t in Tensors) t.Dispose();
    }
}
