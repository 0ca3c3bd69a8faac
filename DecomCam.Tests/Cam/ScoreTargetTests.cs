using DecomCamNet.Tests.Support;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Cam;

/// <summary>
/// Softmax, sigmoid, summed-class, similarity and segmentation targets on small models with known answers. On
/// conv -> GAP -> linear, Grad-CAM's raw map for a score S of the logits z is (1/hw) Σ_c (Σ_k ∂S/∂z_k W_kc) A_c, so each
/// target's map follows from ∂S/∂z in closed form.
/// </summary>
public class ScoreTargetTests
{
    private const int H = 10, W = 9;

    private static (ConvGapLinear Model, Tensor X, Tensor A, Tensor Z) Setup()
    {
        var model = new ConvGapLinear();
        var x = TestTensors.Batch(2, H, W);
        using var noGrad = no_grad();
        var a = model.features.call(x);
        return (model, x, a, model.call(x));
    }

    /// <summary>(1/hw) Σ_c (Σ_k g[n,k] W_kc) A[n,c] for per-image logit gradients g [N,K].</summary>
    private static Tensor ExpectedRaw(ConvGapLinear model, Tensor a, Tensor g)
    {
        var w = g.matmul(model.fc.weight!.detach()); // [N,C]
        return (w.unsqueeze(-1).unsqueeze(-1) * a).sum(1) / (H * W);
    }

    private static void AssertRaw(Tensor expected, CamResult result)
    {
        float scale = Math.Max(1e-3f, expected.abs().max().item<float>());
        float diff = TestTensors.MaxAbsDiff(result.RawMaps[0], expected);
        Assert.True(diff < 1e-5f * scale, $"raw map diff {diff} (scale {scale})");
    }

    [Fact]
    public void SoftmaxTargetScoresTheProbabilityAndWeighsAllClasses()
    {
        using var scope = NewDisposeScope();
        var (model, x, a, z) = Setup();
        using var cam = new GradCam(model, "features");
        using var result = cam.Explain(x, CamTarget.Softmax(new[] { 1, 4 }));
        var p = z.softmax(1);
        var t = tensor(new long[] { 1, 4 });
        Assert.True(TestTensors.MaxAbsDiff(result.Scores, p.gather(1, t.unsqueeze(1)).squeeze(1)) < 1e-6f);
        // ∂p_t/∂z_k = p_t (δ_tk − p_k)
        var g = p.gather(1, t.unsqueeze(1)) * (nn.functional.one_hot(t, 5).to_type(ScalarType.Float32) - p);
        AssertRaw(ExpectedRaw(model, a, g), result);
    }

    [Fact]
    public void SigmoidTargetScoresEachLogitOnItsOwn()
    {
        using var scope = NewDisposeScope();
        var (model, x, a, z) = Setup();
        using var cam = new GradCam(model, "features");
        using var result = cam.Explain(x, CamTarget.Sigmoid(CamTarget.Class(2)));
        var s = z.select(1, 2).sigmoid();
        Assert.True(TestTensors.MaxAbsDiff(result.Scores, s) < 1e-6f);
        var g = (s * (1 - s)).unsqueeze(1) * nn.functional.one_hot(tensor(new long[] { 2, 2 }), 5).to_type(ScalarType.Float32);
        AssertRaw(ExpectedRaw(model, a, g), result);
    }

    [Fact]
    public void SumTargetGivesOneMapForTheSummedLogits()
    {
        using var scope = NewDisposeScope();
        var (model, x, a, z) = Setup();
        using var cam = new GradCam(model, "features");
        using var result = cam.Explain(x, CamTarget.Sum(0, 3));
        Assert.Equal(new long[] { 2, H, W }, result.Maps.shape);
        Assert.True(TestTensors.MaxAbsDiff(result.Scores, z.select(1, 0) + z.select(1, 3)) < 1e-5f);
        var g = tensor(new float[] { 1, 0, 0, 1, 0 }).unsqueeze(0).expand(2, 5);
        AssertRaw(ExpectedRaw(model, a, g), result);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => cam.Explain(x, CamTarget.Sum(0, 5)));
        Assert.Contains("Target class 5 is out of range", e.Message);
    }

    [Fact]
    public void SimilarityToItsOwnEmbeddingIsOneAndAnotherIsLess()
    {
        using var scope = NewDisposeScope();
        var (model, x, _, z) = Setup();
        using var cam = new GradCam(model, "features");
        using var self = cam.Explain(x[0..1], CamTarget.Similarity(z[0]));
        Assert.Equal(1f, self.Scores.item<float>(), 5);
        using var other = cam.Explain(x[0..1], CamTarget.Similarity(z[1]));
        float expected = nn.functional.cosine_similarity(z[0..1], z[1..2], 1).item<float>();
        Assert.Equal(expected, other.Scores.item<float>(), 5);
        using var opposite = cam.Explain(x[0..1], CamTarget.Similarity(-z[0]));
        Assert.Equal(-1f, opposite.Scores.item<float>(), 5);
        var wrong = Assert.Throws<CamException>(() => cam.Explain(x, CamTarget.Similarity(ones(7))));
        Assert.Contains("has 5 values per image; the reference embedding has 7", wrong.Message);
    }

    [Fact]
    public void SegmentationTargetSumsTheClassOverTheMaskOrItsPredictedPixels()
    {
        using var scope = NewDisposeScope();
        // A 1x1-convolution "segmenter": logits [N,3,H,W]; the target score is linear in the input, so its input gradient
        // is known: Σ_mask W_k (per channel) at the masked pixels, zero elsewhere.
        var seg = nn.Sequential(("conv", nn.Conv2d(3, 3, 1)));
        var x = TestTensors.Batch(1, 6, 5);
        var mask = new bool[6, 5];
        mask[1, 1] = mask[4, 3] = mask[2, 0] = true;
        Tensor logits;
        using (no_grad()) logits = seg.call(x);
        using var cam = new HiResCam(seg, "conv");
        using var masked = cam.Explain(x, CamTarget.Segmentation(2, mask));
        float expected = logits[0, 2, 1, 1].item<float>() + logits[0, 2, 4, 3].item<float>() + logits[0, 2, 2, 0].item<float>();
        Assert.Equal(expected, masked.Scores.item<float>(), 4);
        using var predicted = cam.Explain(x, CamTarget.Segmentation(2));
        var where = logits.argmax(1).eq(2);
        Assert.Equal((logits.select(1, 2) * where).sum().item<float>(), predicted.Scores.item<float>(), 4);
        // HiResCAM at the output layer itself: G·A summed over channels = the class logit where counted, 0 elsewhere.
        var raw = masked.RawMaps[0][0];
        Assert.Equal(logits[0, 2, 4, 3].item<float>(), raw[4, 3].item<float>(), 4);
        Assert.Equal(0f, raw[0, 0].item<float>());
        var e = Assert.Throws<CamException>(() => cam.Explain(x, CamTarget.Segmentation(2, new bool[3, 3])));
        Assert.Contains("the mask is 3x3; the output is 6x5", e.Message);
    }
}
