using DecomCamNet.Tests.Support;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Cam;

public class ActivationReshapeTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TokensOfAnIdentityBlockGiveThePatchLayersMap(bool sequenceFirst)
    {
        using var scope = NewDisposeScope();
        var model = new TokenNet(sequenceFirst);
        var x = TestTensors.Batch(2, 8, 8);
        var reshape = sequenceFirst ? ActivationReshape.VitSequenceFirst : ActivationReshape.Vit;
        foreach (var method in new[] { "gradcam", "layercam", "scorecam", "decomcam" })
        {
            using var onPatch = CamMethods.Create(method, model, new CamLayer[] { "patch" });
            using var onTokens = CamMethods.Create(method, model, new[] { ((CamLayer)"block").WithReshape(reshape) });
            using var expected = onPatch.Explain(x, 1);
            using var actual = onTokens.Explain(x, 1);
            // The same float32 values reach both maps (the block is an identity); only summation order may differ.
            Assert.True(TestTensors.MaxAbsDiff(expected.RawMaps[0], actual.RawMaps[0]) < 1e-5f, method);
            Assert.True(TestTensors.MaxAbsDiff(expected.Maps, actual.Maps) < 1e-5f, method);
        }
    }

    [Fact]
    public void LayoutsLayTokensOnTheirGrid()
    {
        using var scope = NewDisposeScope();
        var map = arange(2 * 3 * 2 * 2).reshape(2, 3, 2, 2).to_type(ScalarType.Float32); // [N=2,C=3,h=2,w=2]
        var tokens = cat(new[] { full(2, 1, 3, -1f), map.flatten(2).transpose(1, 2) }, 1); // [N,1+4,C]
        Assert.Equal(0f, TestTensors.MaxAbsDiff(map, ActivationReshape.Vit.ToFeatureMap(tokens, 2, "t")));
        Assert.Equal(0f, TestTensors.MaxAbsDiff(map, ActivationReshape.VitSequenceFirst.ToFeatureMap(tokens.transpose(0, 1), 2, "t")));
        Assert.Equal(0f, TestTensors.MaxAbsDiff(map, ActivationReshape.Swin.ToFeatureMap(map.permute(0, 2, 3, 1), 2, "t")));
        var wide = new ActivationReshape(ActivationLayout.Tokens, 0, 1, 4).ToFeatureMap(map.flatten(2).transpose(1, 2), 2, "t");
        Assert.Equal(new long[] { 2, 3, 1, 4 }, wide.shape);
        Assert.Same(map, ActivationReshape.None.ToFeatureMap(map, 2, "t"));
    }

    [Fact]
    public void WrongLayoutsAreNamed()
    {
        using var scope = NewDisposeScope();
        var tokens = zeros(2, 6, 3); // batch-first, 5 spatial tokens: no square grid
        var e = Assert.Throws<CamException>(() => ActivationReshape.Vit.ToFeatureMap(tokens, 2, "blocks.3"));
        Assert.Contains("'blocks.3'", e.Message);
        Assert.Contains("square", e.Message);
        var seq = Assert.Throws<CamException>(() => ActivationReshape.VitSequenceFirst.ToFeatureMap(zeros(2, 5, 3), 2, "b"));
        Assert.Contains("batch-first: use vit", seq.Message);
        var none = Assert.Throws<NotAFeatureMapException>(() => ActivationReshape.None.ToFeatureMap(tokens, 2, "b"));
        Assert.Contains("ActivationReshape.Vit", none.Message);
        Assert.Equal(new long[] { 2, 6, 3 }, none.Shape);
        Assert.Throws<ArgumentException>(() => ActivationReshape.Parse("deit"));
        Assert.Equal(ActivationReshape.VitSequenceFirst, ActivationReshape.Parse("vit-seq-first"));
    }

    [Fact]
    public void AllZeroGradientsSayWhichLayerToUse()
    {
        using var scope = NewDisposeScope();
        using var cam = new GradCam(new TokenNet(sequenceFirst: false, classTokenOnly: true), ((CamLayer)"block").WithReshape(ActivationReshape.Vit));
        var e = Assert.Throws<CamException>(() => cam.Explain(TestTensors.Batch(1, 8, 8), 0));
        Assert.Contains("all zero", e.Message);
        Assert.Contains("ln_1", e.Message);
    }
}
