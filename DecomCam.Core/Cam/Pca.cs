using static TorchSharp.torch;

namespace DecomCamNet;

/// <summary>
/// Principal component analysis of a batch of data matrices, on their device with <c>torch.linalg.svd</c>.
/// </summary>
public static class Pca
{
    /// <summary>
    /// For each matrix X [n,p] of <paramref name="data"/> [M,n,p] (n observations of p variables): centres the columns,
    /// Xc = U S Vᵀ, and returns the first <paramref name="count"/> projections U_q S_q [M,count,n], the singular values
    /// [M,count] (descending) and the principal axes Vᵀ [M,count,p]. Sign rule (documented, deterministic): each projection
    /// is flipped, together with its axis, so that its largest-magnitude entry is positive (the first such entry on ties).
    /// </summary>
    /// <remarks>Σ_q projection_q ⊗ axis_q over all q reproduces the centred data.</remarks>
    public static (Tensor Projections, Tensor SingularValues, Tensor Axes) Project(Tensor data, long count)
    {
        if (data.dim() != 3) throw new ArgumentException($"PCA expects [M,n,p]; got [{string.Join(",", data.shape)}].", nameof(data));
        var centred = data - data.mean(new long[] { 1 }, keepdim: true);
        var (u, s, vh) = linalg.svd(centred, fullMatrices: false);
        long q = Math.Min(count, s.shape[1]);
        var proj = (u[.., .., ..(int)q] * s[.., ..(int)q].unsqueeze(1)).transpose(1, 2); // [M,q,n]
        var peak = proj.abs().argmax(-1, keepdim: true);
        var sign = proj.gather(-1, peak).sign();
        sign = where(sign.eq(0), ones_like(sign), sign);
        return (proj * sign, s[.., ..(int)q], vh[.., ..(int)q, ..] * sign);
    }
}
