using TorchSharp;

namespace DecomCamNet.Clip;

/// <summary>
/// Process-lifetime native scalars for the per-call path, for the reason given on DecomCam.Core's <c>CachedScalars</c>
/// (internal there): every number handed to a tensor operation, and the implicit <c>alpha = 1</c> of
/// <c>tensor + tensor</c>, becomes a native <see cref="Scalar"/> that only the finalizer frees.
/// </summary>
internal static class ClipScalars
{
    /// <summary>1, for <c>a.add(b, One)</c> in place of <c>a + b</c> (residual connections).</summary>
    public static readonly Scalar One = 1.ToScalar();

    /// <summary>1.702, the slope inside <see cref="QuickGelu"/>'s sigmoid.</summary>
    public static readonly Scalar QuickGeluSlope = 1.702.ToScalar();
}
