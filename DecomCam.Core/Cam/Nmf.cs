using DecomCamNet.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet.Cam;

/// <summary>
/// Non-negative matrix factorization X ≈ W H (Frobenius loss) on the tensors' device, deterministic: no random
/// initialisation and a fixed number of iterations, so the same X gives the same factors on every run.
/// </summary>
public static class Nmf
{
    /// <summary>The multiplicative updates' guard against division by zero.</summary>
    public const double Epsilon = 1e-12;

    private static readonly Scalar EpsilonScalar = Epsilon.ToScalar();

    /// <summary>A zero vector's norm is clamped to this, representable in float32 too.</summary>
    private static readonly Scalar Tiny = 1e-30.ToScalar();

    /// <summary>
    /// Factorizes <paramref name="x"/> [p,n] (non-negative) into W [p,k] and H [k,n], both non-negative.
    /// Initialisation: NNDSVDa (Boutsidis and Gallopoulos, 2008), from the first k singular triplets: the first pair is
    /// √s₀·(|u₀|, |v₀|); pair j takes the positive or the negative parts of (u_j, v_j), whichever has the larger product of
    /// norms m, scaled by √(s_j·m) (so the SVD's signs do not matter); zeros become the mean of X. Then
    /// <paramref name="iterations"/> Lee–Seung multiplicative updates, W before H in each, with
    /// <see cref="Epsilon"/> added to the denominators. Order rule: components by decreasing ‖W_k‖·‖H_k‖ (the size of
    /// their rank-one term; earlier index first on ties). NMF has no sign ambiguity; each pair's scale is as the updates
    /// leave it. Compute in float64 for reproducible results.
    /// </summary>
    /// <exception cref="ArgumentException">X is not a matrix, k is not in [1, min(p,n)], iterations is negative, or X has a negative entry.</exception>
    public static (Tensor W, Tensor H) Factorize(Tensor x, int k, int iterations)
    {
        if (x.dim() != 2) throw new ArgumentException($"NMF expects a matrix [p,n]; got [{string.Join(",", x.shape)}].", nameof(x));
        if (k < 1 || k > Math.Min(x.shape[0], x.shape[1]))
            throw new ArgumentException($"NMF of a {x.shape[0]}x{x.shape[1]} matrix takes between 1 and {Math.Min(x.shape[0], x.shape[1])} components; {k} were asked for.", nameof(k));
        if (iterations < 0) throw new ArgumentException("The number of iterations cannot be negative.", nameof(iterations));
        if (x.lt(CachedScalars.Zero).any().item<bool>()) throw new ArgumentException("NMF needs a non-negative matrix.", nameof(x));
        var (w, h) = Initialize(x, k);
        for (int i = 0; i < iterations; i++)
        {
            w = w * x.matmul(h.t()) / w.matmul(h.matmul(h.t())).add(EpsilonScalar, CachedScalars.One);
            h = h * w.t().matmul(x) / w.t().matmul(w).matmul(h).add(EpsilonScalar, CachedScalars.One);
        }
        var size = w.norm(0) * h.norm(1);
        var (_, order) = size.sort(0, descending: true, stable: true);
        return (w.index_select(1, order), h.index_select(0, order));
    }

    private static (Tensor W, Tensor H) Initialize(Tensor x, int k)
    {
        var (u, s, vh) = linalg.svd(x, fullMatrices: false);
        u = u[.., ..k];
        vh = vh[..k, ..];
        var sk = s[..k];
        var (up, un, vp, vn) = (u.clamp_min(CachedScalars.Zero), (-u).clamp_min(CachedScalars.Zero), vh.clamp_min(CachedScalars.Zero), (-vh).clamp_min(CachedScalars.Zero));
        var (upn, unn, vpn, vnn) = (up.norm(0), un.norm(0), vp.norm(1), vn.norm(1));
        var (mp, mn) = (upn * vpn, unn * vnn);
        var positive = mp.ge(mn);
        var m = where(positive, mp, mn);
        var scale = (sk * m).sqrt();
        var wu = where(positive, up / upn.clamp_min(Tiny), un / unn.clamp_min(Tiny)) * scale;
        var hv = where(positive.unsqueeze(1), vp / vpn.clamp_min(Tiny).unsqueeze(1), vn / vnn.clamp_min(Tiny).unsqueeze(1)) * scale.unsqueeze(1);
        var first = sk[0].sqrt();
        wu[.., 0] = u[.., 0].abs() * first;
        hv[0, ..] = vh[0, ..].abs() * first;
        var mean = x.mean();
        return (where(wu.eq(CachedScalars.Zero), mean, wu), where(hv.eq(CachedScalars.Zero), mean, hv));
    }
}
