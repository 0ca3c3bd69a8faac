using DecomCamNet.Models;
using DecomCamNet.Tests.Support;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Models;

/// <summary>A preprocessing module in front of a model: the model's layer names still work, and the maps are those of
/// the model explained on the preprocessed input for methods that do not read the input itself.</summary>
public class PreprocessedModelTests
{
    [Fact]
    public void LayersKeepTheirNamesAndGradCamSeesThePreprocessedInput()
    {
        using var scope = NewDisposeScope();
        var inner = DeterministicInit.FillModule(ModelZoo.Create("shapesnet", 4));
        using var composed = new PreprocessedModel(new Affine(), inner);
        Assert.Equal("model.block3", ((CamLayer)"block3").Resolve(composed).Name);
        Assert.Equal("model.block3", ((CamLayer)"model.block3").Resolve(composed).Name);
        Assert.Contains("Valid layer names", Assert.Throws<ArgumentException>(() => ((CamLayer)"nope").Resolve(composed)).Message);

        var x = TestTensors.Batch(2, 48, 48);
        var prepared = x * 2f - 1f;
        using (no_grad())
            Assert.Equal(0f, TestTensors.MaxAbsDiff(composed.call(x), inner.call(prepared)));
        using var viaComposite = new GradCam(composed, "block3");
        using var direct = new GradCam(inner, "block3");
        using var a = viaComposite.Explain(x, new[] { 1, 2 });
        using var b = direct.Explain(prepared, new[] { 1, 2 });
        // The same forward on the same values: only the backward's extra affine step differs, and it does not reach block3's gradient.
        Assert.True(TestTensors.MaxAbsDiff(a.Maps, b.Maps) < 1e-6f);
        Assert.Equal(new[] { "model.block3" }, a.LayerNames);
    }

    /// <summary>x → 2x − 1.</summary>
    private sealed class Affine() : nn.Module<Tensor, Tensor>(nameof(Affine))
    {
        public override Tensor forward(Tensor x) => x * 2f - 1f;
    }
}
