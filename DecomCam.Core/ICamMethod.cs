using static TorchSharp.torch;

namespace DecomCamNet;

/// <summary>
/// A class-activation-map method bound to a model and one or more target layers. Methods are not thread-safe:
/// use one instance per thread. Dispose to remove the hooks.
/// </summary>
public interface ICamMethod : IDisposable
{
    /// <summary>The method's short name (for example <c>gradcam</c>).</summary>
    string Name { get; }

    /// <summary>
    /// The dotted names of the target layers, resolved and in order: the names every result of the method carries in
    /// <see cref="CamResult.LayerNames"/>.
    /// </summary>
    IReadOnlyList<string> LayerNames { get; }

    /// <summary>
    /// Explains <paramref name="input"/> [N,C,H,W] for <paramref name="target"/> (default: each image's top class).
    /// </summary>
    /// <param name="input">A batch of images, on the model's device and of its dtype.</param>
    /// <param name="target">What to explain; an <see cref="int"/> or <c>int[]</c> converts implicitly.</param>
    /// <param name="progress">Receives progress of long stages (masked forwards).</param>
    /// <param name="cancellationToken">Stops long stages between batches.</param>
    CamResult Explain(Tensor input, CamTarget? target = null, IProgress<CamProgress>? progress = null, CancellationToken cancellationToken = default);
}
