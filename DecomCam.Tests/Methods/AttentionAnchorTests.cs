using DecomCamNet.Imaging;
using DecomCamNet.Models;
using DecomCamNet.Tests.Support;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Methods;

/// <summary>
/// The attention methods against their authors' code, run by reference/vit_anchor_reference.py with Debian's torch 1.13
/// on the reduced seeded ViT (Transformer-Explainability's timm-style ViT holding the zoo ViT's weights; image 0 for
/// class 3, image 1 for class 7): jacobgil/vit-explain's VITAttentionRollout and VITAttentionGradRollout,
/// Transformer-Explainability's rollout, and the self-attention rule of Transformer-MM-Explainability's ViT notebook
/// (Chefer relevance). Where the conventions agree the maps are equal; where vit-explain's differ (it divides columns
/// by the row sums, and its gradient hooks record the gradient with respect to the attention logits, last block first)
/// the tests pin how far apart the maps are, as the README reports.
/// </summary>
public class AttentionAnchorTests(ITestOutputHelper output)
{
    private static readonly int[] Targets = { 3, 7 };

    [Fact]
    public void RolloutEqualsVitExplainsWhereItsRowsAlreadySumToOne()
    {
        // Mean fusion without discarding: every row of (A + I)/2 sums to 1, so dividing columns or rows by the row sums agree.
        var (ours, theirs) = Compare("anchor_vitexplain_rollout_mean_0.0", "rollout", new RolloutOptions(AttentionHeadFusion.Mean, 0.0), maxNormalised: true);
        Assert.True(TestTensors.MaxAbsDiff(ours, theirs) < 1e-5f, $"max |diff| {TestTensors.MaxAbsDiff(ours, theirs):g3}");
        Assert.True(theirs.min().item<float>() < 0.5f, "vit-explain's map is flat");
    }

    [Fact]
    public void RolloutEqualsTransformerExplainabilitysRollout()
    {
        var (ours, theirs) = Compare("anchor_te_rollout", "rollout", new RolloutOptions(AttentionHeadFusion.Mean, 0.0), maxNormalised: false);
        Assert.True(TestTensors.MaxAbsDiff(ours, theirs) < 1e-6f, $"max |diff| {TestTensors.MaxAbsDiff(ours, theirs):g3}");
    }

    [Fact]
    public void CheferRelevanceEqualsTheGenericAttentionNotebooksRule()
    {
        var (ours, theirs) = Compare("anchor_mm_chefer", "chefer", new RolloutOptions(), maxNormalised: false);
        Assert.True(TestTensors.MaxAbsDiff(ours, theirs) < 1e-6f, $"max |diff| {TestTensors.MaxAbsDiff(ours, theirs):g3}");
        Assert.True(theirs.max().item<float>() > 0.05f, "the notebook's relevance is empty");
    }

    /// <summary>The per-image Pearson r of our maps with vit-explain's where its conventions differ from ours, in a band.</summary>
    [Theory]
    [InlineData("anchor_vitexplain_rollout_mean_0.9", "rollout", "Mean", 0.9, 0.97, 0.999)]  // columns divided after discarding
    [InlineData("anchor_vitexplain_rollout_max_0.9", "rollout", "Max", 0.9, 0.97, 0.999)]    // and after max fusion
    [InlineData("anchor_vitexplain_gradrollout_0.0", "gradrollout", "Mean", 0.0, 0.6, 0.8)]  // dy/dlogits, blocks reversed
    [InlineData("anchor_vitexplain_gradrollout_0.9", "gradrollout", "Mean", 0.9, 0.6, 0.8)]
    public void WhereVitExplainsConventionsDifferTheMapsCorrelateAsReported(string golden, string method, string fusion, double ratio, double low, double high)
    {
        var (ours, theirs) = Compare(golden, method, new RolloutOptions(Enum.Parse<AttentionHeadFusion>(fusion), ratio), maxNormalised: true);
        for (int i = 0; i < 2; i++)
        {
            double r = PytorchGradCamParityTests.Pearson(ours[i], theirs[i]);
            output.WriteLine($"{golden} image {i}: r {r:F6}, max |diff| {TestTensors.MaxAbsDiff(ours[i], theirs[i]):g3}");
            Assert.InRange(r, low, high);
        }
    }

    /// <summary>Our raw map (the class token's relevance row after the last block, [2, 4, 4]) and the anchor's.</summary>
    private (Tensor Ours, Tensor Theirs) Compare(string golden, string method, RolloutOptions options, bool maxNormalised)
    {
        using var zoo = VitLoader.LoadTorchvision(RepoPaths.Golden("vit", "vit_torchvision.safetensors"), heads: 2);
        var x = NpyFile.Read(RepoPaths.Golden("vit", "vit_input.npy"));
        using var cam = CamMethods.Create(method, zoo, Array.Empty<CamLayer>(), new CamMethodSettings { Rollout = options });
        using var result = cam.Explain(x, Targets);
        var raw = result.RawMaps[^1].detach().clone();
        var ours = maxNormalised ? raw / raw.amax(new long[] { 1, 2 }, keepdim: true) : raw;
        var theirs = NpyFile.Read(RepoPaths.Golden("vit", golden + ".npy"));
        Assert.Equal(theirs.shape, ours.shape);
        output.WriteLine($"{golden}: max |diff| {TestTensors.MaxAbsDiff(ours, theirs):g3}");
        return (ours, theirs);
    }
}
