using DecomCamNet.Cam;
using DecomCamNet.Tests.Support;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Methods;

public class PcaAndBlurTests
{
    [Fact]
    public void ProjectionsAreOrthogonalAndReconstructTheCentredData()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var data = randn(2, 30, 7);
        var (proj, s, axes) = Pca.Project(data, 7);
        var gram = proj.matmul(proj.transpose(1, 2)); // [2,7,7]
        var offDiagonal = gram - diag_embed(gram.diagonal(0, 1, 2));
        var scale = gram.abs().max().item<float>();
        // float32 SVD of a 30x7 matrix: orthogonality and reconstruction hold to ~1e-6 relative (LAPACK, any ISA);
        // 1e-4 catches a wrong centring or a dropped component (errors of order 1).
        Assert.True(offDiagonal.abs().max().item<float>() / scale < 1e-4f);
        var reconstructed = proj.transpose(1, 2).matmul(axes);
        var centred = data - data.mean(new long[] { 1 }, keepdim: true);
        Assert.True(TestTensors.MaxAbsDiff(reconstructed, centred) < 1e-4f);
        Assert.True(TestTensors.MaxAbsDiff(gram.diagonal(0, 1, 2), s.pow(2)) < 1e-3f); // squares of values ~10: 1e-4 relative
    }

    [Fact]
    public void WideMatricesGiveTheSameFactorsAsTheirSvd()
    {
        // Fewer observations than variables (Eigen-CAM's 49 positions x 512 channels) takes the SVD of the transpose.
        using var scope = NewDisposeScope();
        manual_seed(5);
        var data = randn(2, 7, 30);
        var (proj, s, axes) = Pca.Project(data, 7);
        Assert.Equal(new long[] { 2, 7, 7 }, proj.shape);
        Assert.Equal(new long[] { 2, 7, 30 }, axes.shape);
        var centred = data - data.mean(new long[] { 1 }, keepdim: true);
        var (_, direct, _) = linalg.svd(centred, fullMatrices: false);
        Assert.True(TestTensors.MaxAbsDiff(s, direct) < 1e-4f); // singular values ~5: float32 SVD rounding, any ISA
        Assert.True(TestTensors.MaxAbsDiff(proj.transpose(1, 2).matmul(axes), centred) < 1e-4f);
        var rows = axes.matmul(axes.transpose(1, 2)); // orthonormal axes: the identity; a swapped factor breaks shapes or this
        Assert.True(TestTensors.MaxAbsDiff(rows, eye(7).expand(2, 7, 7)) < 1e-4f);
    }

    [Fact]
    public void SignRuleMakesTheLargestEntryPositive()
    {
        using var scope = NewDisposeScope();
        manual_seed(4);
        var data = randn(3, 20, 5);
        var (proj, _, _) = Pca.Project(data, 3);
        var (p2, _, _) = Pca.Project(-data, 3); // negating the data flips SVD signs; the rule must undo it
        var peak = proj.gather(-1, proj.abs().argmax(-1, keepdim: true));
        Assert.True(peak.min().item<float>() > 0f);
        Assert.True(TestTensors.MaxAbsDiff(proj, -p2) < 1e-4f || TestTensors.MaxAbsDiff(proj, p2) < 1e-4f); // SVD rounding, as above
        Assert.True(p2.gather(-1, p2.abs().argmax(-1, keepdim: true)).min().item<float>() > 0f);
    }

    [Fact]
    public void BlurPreservesConstantsAndMatchesAHandComputedValue()
    {
        using var scope = NewDisposeScope();
        var constant = full(new long[] { 1, 3, 50, 50 }, 2.5f);
        // Kernel weights sum to 1 in float32 (error ~1e-7 per tap, 81 taps): a constant 2.5 stays within 1e-5.
        Assert.True(TestTensors.MaxAbsDiff(GaussianBlur.Apply(constant, 10), constant) < 1e-5f);
        // A 1-D step along the width: symmetric padding keeps mass, so the row mean is unchanged.
        var step = zeros(1, 1, 45, 45);
        step[.., .., .., 20..] = tensor(1f);
        var blurred = GaussianBlur.Apply(step, 3);
        Assert.True(Math.Abs(blurred.mean().item<float>() - step.mean().item<float>()) < 1e-5f); // sums of ~2000 values in [0,1]
        Assert.True(blurred[0, 0, 10, 19].item<float>() is > 0.3f and < 0.5f);
    }
}
