using DecomCamNet.Cam;
using DecomCamNet.Imaging;
using DecomCamNet.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Methods;

/// <summary>Deep Feature Factorization: the NMF, the concepts against the reference, determinism, bad input and the concept image.</summary>
public class DeepFeatureFactorizationTests
{
    [Fact]
    public void NmfRecoversARankOneMatrixExactlyAndOrdersComponents()
    {
        using var scope = NewDisposeScope();
        var u = rand(new long[] { 7, 1 }, dtype: ScalarType.Float64, generator: new Generator(1)) + 0.1;
        var v = rand(new long[] { 1, 9 }, dtype: ScalarType.Float64, generator: new Generator(2)) + 0.1;
        var (w, h) = Nmf.Factorize(u.matmul(v), 1, 0);
        // NNDSVD of a rank-one matrix is exact before any update: float64 rounding only.
        Assert.True((w.matmul(h) - u.matmul(v)).abs().max().item<double>() < 1e-12);
        var x = rand(new long[] { 12, 30 }, dtype: ScalarType.Float64, generator: new Generator(3));
        var (w3, h3) = Nmf.Factorize(x, 3, 200);
        Assert.True(w3.min().item<double>() >= 0 && h3.min().item<double>() >= 0);
        var size = (w3.norm(0) * h3.norm(1)).data<double>().ToArray();
        Assert.True(size[0] >= size[1] && size[1] >= size[2]);
        var (w0, h0) = Nmf.Factorize(x, 3, 0);
        Assert.True((w3.matmul(h3) - x).norm().item<double>() < (w0.matmul(h0) - x).norm().item<double>()); // the updates descend
        Assert.Throws<ArgumentException>(() => Nmf.Factorize(x - 1, 3, 10));
        Assert.Throws<ArgumentException>(() => Nmf.Factorize(x, 13, 10));
    }

    [Theory]
    [InlineData("shapesnet")]
    [InlineData("resnet18")]
    [InlineData("demo")]
    public void ConceptsMatchTheReference(string model)
    {
        using var scope = NewDisposeScope();
        var (net, layer, input, targets) = GoldenMapTests.Load(model);
        using var cam = new DeepFeatureFactorization(net, layer);
        using var r = cam.Explain(input, targets);
        Assert.Equal("fc", cam.ClassifierName);
        // 200 float64 multiplicative updates of the float32 activations: the activations' rounding, grown by the updates,
        // stays under 1e-3 of each factor's scale; a concept out of order is off by its whole range.
        var maps = Golden(model, "dff_maps");
        Assert.True(TestTensors.MaxAbsDiff(maps, r.Intermediate("concept_maps")) < 1e-3f * maps.abs().max().item<float>());
        var emb = Golden(model, "dff_embeddings");
        Assert.True(TestTensors.MaxAbsDiff(emb, r.Intermediate("concept_embeddings")) < 1e-3f * emb.abs().max().item<float>());
        var scores = Golden(model, "dff_scores");
        Assert.True(TestTensors.MaxAbsDiff(scores, r.Intermediate("concept_scores")) < 1e-3f * scores.abs().max().item<float>());
        Assert.Equal(Golden(model, "dff_selected").data<float>().Select(v => (long)v).ToArray(), r.Intermediate("selected_concept").data<long>().ToArray());
    }

    [Fact]
    public void FactorizationIsDeterministic()
    {
        using var scope = NewDisposeScope();
        var model = new ConvGapLinear(channels: 12);
        var x = TestTensors.Batch(2, 16, 16);
        using var a = new DeepFeatureFactorization(model, "features", new DffOptions(Concepts: 3));
        using var b = new DeepFeatureFactorization(model, "features", new DffOptions(Concepts: 3));
        using var ra = a.Explain(x, new[] { 0, 1 });
        using var ra2 = a.Explain(x, new[] { 0, 1 });
        using var rb = b.Explain(x, new[] { 0, 1 });
        Assert.Equal(0f, TestTensors.MaxAbsDiff(ra.Intermediate("concept_maps"), ra2.Intermediate("concept_maps")));
        Assert.Equal(0f, TestTensors.MaxAbsDiff(ra.Intermediate("concept_maps"), rb.Intermediate("concept_maps")));
        Assert.Equal(new long[] { 2, 3, 16, 16 }, ra.Intermediate("concept_maps").shape);
        Assert.Equal(new long[] { 12, 3 }, ra.Intermediate("concept_embeddings").shape);
        Assert.Equal(new long[] { 3, 5 }, ra.Intermediate("concept_scores").shape);
        // The concept scores are the classifier applied to the embeddings; a row's map is its selected concept's.
        var emb = ra.Intermediate("concept_embeddings");
        var expected = emb.t().matmul(model.fc.weight!.detach().t()) + model.fc.bias!.detach();
        Assert.True(TestTensors.MaxAbsDiff(expected, ra.Intermediate("concept_scores")) < 1e-5f * expected.abs().max().item<float>()); // float32 sums of 12 terms
        var selected = ra.Intermediate("selected_concept");
        for (int i = 0; i < 2; i++)
            Assert.Equal(0f, TestTensors.MaxAbsDiff(ra.RawMaps[0][i], ra.Intermediate("concept_maps")[i, selected[i].item<long>()]));
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        using var scope = NewDisposeScope();
        var model = new ConvGapLinear(channels: 4);
        var x = TestTensors.Batch(1, 2, 2);
        Assert.Throws<ArgumentOutOfRangeException>(() => new DeepFeatureFactorization(model, "features", new DffOptions(Concepts: 0)));
        Assert.Contains("not a linear layer", Assert.Throws<ArgumentException>(() => new DeepFeatureFactorization(model, "features", new DffOptions(Classifier: "features"))).Message);
        Assert.Equal(0, TestTensors.ForwardHookCountInModel(model));
        using var cam = new DeepFeatureFactorization(model, "features", new DffOptions(Concepts: 5));
        Assert.Contains("at most 4 concepts", Assert.Throws<CamException>(() => cam.Explain(x, 0)).Message);
        Assert.Contains("class targets", Assert.Throws<CamException>(() => cam.Explain(x, CamTarget.Custom(o => o.sum(1)))).Message);
    }

    [Fact]
    public void ConceptImageColoursEachPixelByItsStrongestConcept()
    {
        using var scope = NewDisposeScope();
        using var image = new Image<Rgb24>(4, 2, new Rgb24(100, 100, 100));
        var maps = zeros(2, 2, 4);
        maps[0, .., ..2] = tensor(1f); // concept 0 (red) on the left half
        maps[1, .., 2..] = tensor(1f); // concept 1 (hue 0.5: cyan) on the right half
        using var result = ConceptImageWriter.Create(image, maps, imageWeight: 0.2f);
        // 0.2·100 + 0.8·255·(1 − 1e-7) = 224 (the scaled map is 1/(1 + 1e-7)); 0.2·100 = 20.
        Assert.Equal(new Rgb24(224, 20, 20), result[0, 0]);
        Assert.Equal(new Rgb24(20, 224, 224), result[3, 1]);
        Assert.Equal(new Rgb24(100, 100, 100), image[0, 0]); // the background is not changed
        Assert.Throws<ArgumentException>(() => ConceptImageWriter.Create(image, zeros(2, 4)));
        Assert.Throws<ArgumentOutOfRangeException>(() => ConceptImageWriter.Create(image, maps, 1.5f));
    }

    private static Tensor Golden(string model, string name) => NpyFile.Read(RepoPaths.Golden("cam", $"{model}_{name}.npy"));
}
