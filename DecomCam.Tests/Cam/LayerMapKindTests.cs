using DecomCamNet.Cam;
using DecomCamNet.Tests.Support;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Cam;

/// <summary>
/// The template reduces the weighted channels a method returns (sum, or first principal component under EigenSmooth), so a
/// method of the tests' own gets eigen smoothing without asking for it; a map whose form contradicts the method's
/// <see cref="LayerMapKind"/> is refused.
/// </summary>
public sealed class LayerMapKindTests
{
    [Fact]
    public void TheTemplateSumsOrEigenSmoothsTheWeightedChannelsAMethodReturns()
    {
        using var scope = NewDisposeScope();
        var model = new ConvGapLinear(channels: 12);
        var x = TestTensors.Batch(2, 18, 18);
        using var plain = new MeanWeightedCam(model, LayerMapKind.WeightedChannels, returnChannels: true);
        using var smooth = new MeanWeightedCam(model, LayerMapKind.WeightedChannels, returnChannels: true) { EigenSmooth = true };
        using var p = plain.Explain(x, new[] { 0, 1 });
        using var s = smooth.Explain(x, new[] { 0, 1 });
        var weighted = p.Intermediates["features/weighted"];
        // The same operations on the same tensors: equal up to float32 summation order (1e-6 of the scale).
        float scale = weighted.sum(1).abs().max().item<float>();
        Assert.True(TestTensors.MaxAbsDiff(weighted.sum(1), p.RawMaps[0]) < 1e-6f * scale);
        var component = Pca.FirstComponentMaps(s.Intermediates["features/weighted"]);
        Assert.True(TestTensors.MaxAbsDiff(component, s.RawMaps[0]) < 1e-5f * component.abs().max().item<float>());
        Assert.True(TestTensors.MaxAbsDiff(p.RawMaps[0], s.RawMaps[0]) > 1e-2f * scale); // the component is not the sum
    }

    [Theory]
    [InlineData(LayerMapKind.WeightedChannels, false, "LayerMap.Weighted")]
    [InlineData(LayerMapKind.PrincipalComponent, true, "return the raw map")]
    [InlineData(LayerMapKind.Other, true, "return the raw map")]
    public void AMapInTheWrongFormForItsKindIsRefusedNamingTheMethodAndLayer(LayerMapKind kind, bool returnChannels, string advice)
    {
        using var scope = NewDisposeScope();
        using var cam = new MeanWeightedCam(new ConvGapLinear(), kind, returnChannels);
        var e = Assert.Throws<InvalidOperationException>(() => cam.Explain(TestTensors.Batch(1, 8, 8)));
        Assert.Contains("meanweighted", e.Message);
        Assert.Contains("'features'", e.Message);
        Assert.Contains(advice, e.Message);
    }

    [Fact]
    public void EigenSmoothIsRefusedOnlyWhereTheMapKindIsOther()
    {
        var model = new ConvGapLinear();
        using var component = new MeanWeightedCam(model, LayerMapKind.PrincipalComponent, returnChannels: false) { EigenSmooth = true };
        Assert.True(component.EigenSmooth);
        var e = Assert.Throws<NotSupportedException>(() => new MeanWeightedCam(model, LayerMapKind.Other, returnChannels: false) { EigenSmooth = true });
        Assert.Contains("meanweighted", e.Message);
    }

    /// <summary>Channels weighted by their spatial mean, returned as weighted channels or as their sum, under a chosen kind.</summary>
    private sealed class MeanWeightedCam(nn.Module<Tensor, Tensor> model, LayerMapKind kind, bool returnChannels)
        : CamMethod(model, [(CamLayer)"features"], null)
    {
        public override string Name => "meanweighted";

        protected override bool RequiresGradients => false;

        protected override LayerMapKind MapKind => kind;

        protected override LayerMap ComputeLayerMap(CamContext context, int layer)
        {
            var a = context.Activations[layer];
            var weighted = a.mean([2, 3], keepdim: true) * a;
            var intermediates = new Dictionary<string, Tensor> { ["weighted"] = weighted };
            return returnChannels ? LayerMap.OfChannels(weighted, intermediates) : new LayerMap(weighted.sum(1), intermediates);
        }
    }
}
