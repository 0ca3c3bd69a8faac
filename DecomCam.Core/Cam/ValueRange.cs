using DecomCamNet.Native;
using static TorchSharp.torch;

namespace DecomCamNet.Cam;

/// <summary>
/// The checks the pipeline makes on its inputs, outputs and gradients. Every value finite: one <c>aminmax</c> reduction
/// and one copy of two numbers to the host (NaN propagates to both ends and an infinity shows at one, so the ends are
/// finite exactly when every value is); measured at about a sixth of <c>isfinite(t).all()</c> on a 224-px image, which
/// allocates a mask as large as the tensor. Rows all zero: one <c>amax</c> of |t| per row and one flag per row to the host.
/// </summary>
internal static class ValueRange
{
    /// <summary>Whether every value of <paramref name="tensor"/> is finite (tensors of integers and empty ones always are).</summary>
    public static bool AllFinite(Tensor tensor)
    {
        if (!tensor.is_floating_point()) return true;
        var (min, max) = Ends(tensor);
        return double.IsFinite(min) && double.IsFinite(max);
    }

    /// <summary>
    /// The indices along dimension 0 of <paramref name="tensor"/> [N,...] whose values are all zero (a row without values
    /// counts as zero; one holding NaN does not).
    /// </summary>
    public static int[] ZeroRows(Tensor tensor)
    {
        long rows = tensor.dim() == 0 ? 0 : tensor.shape[0];
        if (tensor.numel() == 0) return Enumerable.Range(0, (int)rows).ToArray();
        using var mode = no_grad();
        using var scope = NewDisposeScope();
        var empty = tensor.reshape(rows, -1).abs().amax(new long[] { 1 }).eq(CachedScalars.Zero).cpu();
        var flags = empty.data<bool>().ToArray();
        return Enumerable.Range(0, flags.Length).Where(i => flags[i]).ToArray();
    }

    private static (double Min, double Max) Ends(Tensor tensor)
    {
        if (tensor.numel() == 0) return (0, 0);
        using var mode = no_grad();
        using var scope = NewDisposeScope();
        var (min, max) = aminmax(tensor);
        using var ends = stack(new[] { min, max }).to(ScalarType.Float64, CPU);
        var values = ends.data<double>();
        return (values[0], values[1]);
    }
}
