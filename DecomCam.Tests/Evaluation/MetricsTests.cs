using DecomCamNet.Evaluation.Metrics;
using DecomCamNet.Tests.Support;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Evaluation;

/// <summary>Hand-made cases with known answers for every metric of DecomCam.Evaluation.</summary>
public class MetricsTests
{
    /// <summary>Images of ones [n,3,8,8]; the object is rows 2..4, columns 3..5 (a 3×3 square).</summary>
    private static Tensor Ones(long n = 2) => ones(n, 3, 8, 8);

    private static Tensor ObjectMask(long n = 2)
    {
        var mask = zeros(n, 8, 8);
        mask.narrow(1, 2, 3).narrow(2, 3, 3).fill_(1);
        return mask;
    }

    private static RegionMeanNet ObjectNet() => new(2, 3, 3, 3);

    [Fact]
    public void AMapThatKeepsTheObjectDropsNothingAndOneThatHidesItDropsAlmostAll()
    {
        using var scope = NewDisposeScope();
        var model = ObjectNet();
        var keep = ObjectMask();
        using var kept = ConfidenceChange.Compute(model, Ones(), keep, new[] { 0, 0 });
        Assert.Equal(0, kept.AverageDrop, 6);
        Assert.Equal(0, kept.IncreaseInConfidence);
        Assert.True(kept.Original[0].item<float>() > 0.999f);

        using var hidden = ConfidenceChange.Compute(model, Ones(), 1 - keep, new[] { 0, 0 });
        Assert.True(hidden.AverageDrop > 99.9, $"{hidden.AverageDrop}");
        Assert.Equal(0, hidden.IncreaseInConfidence);
        // The absolute variant (pytorch-grad-cam's DropInConfidence) is Y − O, not divided by Y.
        Assert.True(TestTensors.MaxAbsDiff(hidden.AbsoluteDrop, hidden.Original - hidden.Perturbed) < 1e-7f);
        Assert.True(TestTensors.MaxAbsDiff(hidden.Change, hidden.Perturbed - hidden.Original) < 1e-7f);
    }

    [Fact]
    public void ARisingScoreCountsAsAnIncrease()
    {
        using var scope = NewDisposeScope();
        // Class 1 (logit 0) rises when the object is hidden.
        using var r = ConfidenceChange.Compute(ObjectNet(), Ones(), 1 - ObjectMask(), new[] { 1, 1 });
        Assert.Equal(100, r.IncreaseInConfidence);
        Assert.Equal(0, r.AverageDrop);
        Assert.Equal(new[] { 100f, 100f }, r.Increase.data<float>().ToArray());
    }

    [Fact]
    public void PredictedClassesAreTheModelsTopClass()
    {
        using var scope = NewDisposeScope();
        var model = new ConvGapLinear();
        var x = TestTensors.Batch(3, 8, 8);
        using var r = ConfidenceChange.Compute(model, x, full(3, 8, 8, 0.5f));
        Tensor top;
        using (no_grad()) top = model.call(x).argmax(1);
        Assert.Equal(top.data<long>().ToArray(), r.Classes.data<long>().ToArray());
    }

    [Theory]
    [InlineData(10)]
    [InlineData(7)]
    [InlineData(100)]
    public void DeletionOfALinearModelHasAreaOneHalf(int steps)
    {
        using var scope = NewDisposeScope();
        var map = arange(100, dtype: ScalarType.Float32).view(1, 10, 10) / 99;
        using var r = DeletionInsertion.Deletion(new IntactFractionNet(), ones(1, 3, 10, 10), map, new[] { 0 }, new PerturbationCurveOptions { Steps = steps });
        Assert.Equal(new long[] { 1, steps + 1 }, r.Curves.shape);
        Assert.Equal(0.5, r.MeanAuc, 4);
        Assert.True(Math.Abs(r.MeanAuc - 0.5) <= 1.0 / steps);
        // The curve is 1 − fraction: exactly linear.
        Assert.True(TestTensors.MaxAbsDiff(r.Curves[0], (1 - r.Fractions).to(ScalarType.Float32)) < 1e-4f);
        Assert.Equal(0, r.Fractions[0].item<double>());
        Assert.Equal(1, r.Fractions[-1].item<double>());
    }

    [Fact]
    public void InsertionFromAZeroCanvasOfALinearModelHasAreaOneHalfAndEndsAtTheImagesScore()
    {
        using var scope = NewDisposeScope();
        var map = arange(64, dtype: ScalarType.Float32).view(1, 8, 8) / 63;
        var model = new IntactFractionNet();
        var options = new PerturbationCurveOptions { Steps = 16, Canvas = PerturbationCanvas.Zero };
        using var r = DeletionInsertion.Insertion(model, ones(1, 3, 8, 8), map, new[] { 0 }, options);
        Assert.Equal(0.5, r.MeanAuc, 4);
        Assert.True(r.Curves[0, 0].item<float>() < 1e-5f);
    }

    [Fact]
    public void InsertionEndsAndDeletionStartsAtTheOriginalScore()
    {
        using var scope = NewDisposeScope();
        var model = new ConvGapLinear();
        var x = TestTensors.Batch(3, 12, 12);
        manual_seed(3);
        var maps = rand(3, 12, 12);
        using var y = ConfidenceChange.Compute(model, x, maps, new[] { 0, 2, 4 });
        using var insertion = DeletionInsertion.Insertion(model, x, maps, new[] { 0, 2, 4 }, new PerturbationCurveOptions { Steps = 9, BatchSize = 4 });
        using var deletion = DeletionInsertion.Deletion(model, x, maps, new[] { 0, 2, 4 }, new PerturbationCurveOptions { Steps = 9, BatchSize = 5 });
        Assert.True(TestTensors.MaxAbsDiff(insertion.Curves.select(1, -1), y.Original) < 1e-6f);
        Assert.True(TestTensors.MaxAbsDiff(deletion.Curves.select(1, 0), y.Original) < 1e-6f);
        Assert.All(insertion.Auc.data<float>().ToArray(), a => Assert.InRange(a, 0f, 1f));
    }

    [Fact]
    public void DeletionFollowsTheMapsOrder()
    {
        using var scope = NewDisposeScope();
        var model = ObjectNet();
        var mask = ObjectMask(1);
        var options = new PerturbationCurveOptions { Steps = 64 };
        // A map that ranks the object first destroys the score within the first 9 of 64 pixels; its reverse keeps it to the end.
        using var good = DeletionInsertion.Deletion(model, Ones(1), mask * 0.5f + 0.5f, new[] { 0 }, options);
        using var bad = DeletionInsertion.Deletion(model, Ones(1), 0.5f - mask * 0.5f, new[] { 0 }, options);
        Assert.True(good.MeanAuc < 0.1, $"{good.MeanAuc}");
        Assert.True(bad.MeanAuc > 0.8, $"{bad.MeanAuc}");
        // Ties go by pixel index: a constant map deletes in row-major order, so the object's first pixel (row 2, column 3)
        // is the 20th to go and its last (row 4, column 5) the 38th.
        using var flat = DeletionInsertion.Deletion(model, Ones(1), full(1, 8, 8, 0.3f), new[] { 0 }, options);
        var curve = flat.Curves[0].data<float>().ToArray();
        Assert.True(curve[19] == curve[0] && curve[20] < curve[19] && curve[37] > curve[38] && curve[38] < 1e-8f, string.Join(",", curve.Take(40)));
    }

    [Fact]
    public void PointingGameHitsOnTheObjectAndMissesOutsideIt()
    {
        using var scope = NewDisposeScope();
        var mask = ObjectMask(1);
        var outside = zeros(1, 8, 8);
        outside[0, 7, 0] = tensor(1f);
        using var hit = PointingGame.Evaluate(mask, mask);
        using var miss = PointingGame.Evaluate(outside, mask, tolerance: 0);
        Assert.Equal(1, hit.Accuracy);
        Assert.Equal(0, miss.Accuracy);
        Assert.Equal(new long[] { 7, 0 }, miss.Points[0].data<long>().ToArray());
        // (7,0) is √(3² + 3²) ≈ 4.24 px from the mask's corner (4,3): a hit from tolerance 4.25 up, the usual 15 px included.
        using var near = PointingGame.Evaluate(outside, mask, tolerance: 4.25);
        using var notNear = PointingGame.Evaluate(outside, mask, tolerance: 4.2);
        using var usual = PointingGame.Evaluate(outside, mask);
        Assert.Equal(1, near.Accuracy);
        Assert.Equal(0, notNear.Accuracy);
        Assert.Equal(1, usual.Accuracy);
        Assert.Equal(1, EnergyPointingGame.Compute(mask, mask).item<float>());
        Assert.Equal(0, EnergyPointingGame.Compute(outside, mask.to(ScalarType.Bool)).item<float>());
        Assert.Equal(9f / 64, EnergyPointingGame.Compute(ones(1, 8, 8), mask).item<float>(), 6);
    }

    [Fact]
    public void PointingGameLeavesOutEmptyMasks()
    {
        using var scope = NewDisposeScope();
        var masks = cat(new[] { ObjectMask(1), zeros(1, 8, 8) }, 0);
        using var r = PointingGame.Evaluate(masks, masks);
        Assert.Equal(1, r.Counted);
        Assert.Equal(1, r.Accuracy);
        Assert.True(float.IsNaN(r.Hits[1].item<float>()));
        Assert.True(float.IsNaN(EnergyPointingGame.Compute(zeros(1, 8, 8), ObjectMask(1)).item<float>()));
    }

    [Fact]
    public void ImputationKeepsKeptPixelsAndFillsHolesInALinearRampExactly()
    {
        using var scope = NewDisposeScope();
        var rows = arange(12, dtype: ScalarType.Float32).view(1, 1, 12, 1);
        var columns = arange(10, dtype: ScalarType.Float32).view(1, 1, 1, 10);
        var ramp = (0.1f * rows + 0.2f * columns + tensor(new[] { 0f, 1f, -1f }).view(1, 3, 1, 1)).expand(1, 3, 12, 10).contiguous();
        var keep = ones(1, 12, 10);
        keep.narrow(1, 3, 5).narrow(2, 2, 4).fill_(0);
        var filled = NoisyLinearImputation.Impute(ramp, keep, noise: 0);
        // The 8-neighbour mean reproduces a linear function, so the hole is filled with the ramp itself.
        Assert.True(TestTensors.MaxAbsDiff(filled, ramp) < 1e-5f, $"{TestTensors.MaxAbsDiff(filled, ramp)}");
        var noisy = NoisyLinearImputation.Impute(ramp, keep, noise: 0.5, generator: new Generator(5, CPU));
        var kept = keep.to(ScalarType.Bool).unsqueeze(1).expand(1, 3, 12, 10);
        Assert.True(noisy.masked_select(kept).eq(ramp.masked_select(kept)).all().item<bool>());
        Assert.True(TestTensors.MaxAbsDiff(noisy, ramp) > 0.1f);
    }

    [Fact]
    public void RoadIsDeterministicForASeedAndIndependentOfTheBatchSize()
    {
        using var scope = NewDisposeScope();
        var model = new MetricNet();
        var x = DeterministicInit.Input(new long[] { 3, 3, 12, 12 });
        manual_seed(11);
        var maps = rand(3, 12, 12);
        var options = new RoadOptions { Percentiles = new double[] { 30, 70 }, Seed = 42, BatchSize = 5 };
        using var a = Road.Evaluate(model, x, maps, new[] { 0, 1, 2 }, options);
        manual_seed(999); // the global generator plays no part
        using var b = Road.Evaluate(model, x, maps, new[] { 0, 1, 2 }, options with { BatchSize = 1 });
        using var c = Road.Evaluate(model, x, maps, new[] { 0, 1, 2 }, options with { Seed = 43 });
        Assert.True(TestTensors.MaxAbsDiff(a.MostRelevantFirst, b.MostRelevantFirst) < 1e-6f);
        Assert.True(TestTensors.MaxAbsDiff(a.LeastRelevantFirst, b.LeastRelevantFirst) < 1e-6f);
        Assert.True(TestTensors.MaxAbsDiff(a.MostRelevantFirst, c.MostRelevantFirst) > 0);
        Assert.Equal(new long[] { 3, 2 }, a.MostRelevantFirst.shape);
        // Road.Impute gives the same images that Evaluate scores.
        var imputed = Road.Impute(x, maps, RoadOrder.LeastRelevantFirst, 70, options);
        var scored = softmax(model.call(imputed), 1).gather(1, tensor(new long[] { 0, 1, 2 }).unsqueeze(1)).squeeze(1);
        Assert.True(TestTensors.MaxAbsDiff(scored, a.LeastRelevantFirst.select(1, 1)) < 1e-5f);
        var combined = (a.LeastRelevantFirstAverage - a.MostRelevantFirstAverage) / 2;
        Assert.True(TestTensors.MaxAbsDiff(combined, a.Combined) < 1e-7f);
    }

    [Fact]
    public void RoadRemovesTheSelectedShareOfPixels()
    {
        using var scope = NewDisposeScope();
        var x = DeterministicInit.Input(new long[] { 1, 3, 10, 10 });
        var map = arange(100, dtype: ScalarType.Float32).view(1, 10, 10) / 99;
        var options = new RoadOptions { Noise = 0 };
        // MoRF at the 80th percentile removes the top 20 pixels (the last two rows); LeRF at 20 the bottom 80.
        var morf = Road.Impute(x, map, RoadOrder.MostRelevantFirst, 80, options);
        var lerf = Road.Impute(x, map, RoadOrder.LeastRelevantFirst, 20, options);
        var changedMorf = (morf - x).abs().amax(new long[] { 1 }).gt(0).view(-1).data<bool>().ToArray();
        var changedLerf = (lerf - x).abs().amax(new long[] { 1 }).gt(0).view(-1).data<bool>().ToArray();
        Assert.Equal(Enumerable.Range(0, 100).Select(i => i >= 80).ToArray(), changedMorf);
        Assert.Equal(Enumerable.Range(0, 100).Select(i => i < 80).ToArray(), changedLerf);
    }

    [Fact]
    public void ComplexityCoherencyAndAdccOnHandMadeMaps()
    {
        using var scope = NewDisposeScope();
        var mask = ObjectMask();
        Assert.Equal(new[] { 9f / 64, 9f / 64 }, MapComplexity.Compute(mask).data<float>().ToArray());
        // A method that gives back the same map is perfectly coherent.
        var coherent = MapCoherency.Compute(Ones(), mask, new[] { 0, 0 }, (_, _) => mask.clone());
        Assert.All(coherent.data<float>().ToArray(), c => Assert.Equal(1f, c, 5));
        var opposite = MapCoherency.Compute(Ones(), mask, new[] { 0, 0 }, (_, _) => 1 - mask);
        Assert.All(opposite.data<float>().ToArray(), c => Assert.Equal(0f, c, 5));

        // ADCC of the object map on the object model: coherency 1, complexity 9/64, drop 0.
        using var adcc = Adcc.Compute(ObjectNet(), Ones(), mask, new[] { 0, 0 }, (_, _) => mask.clone());
        double expected = 3 / (1 + 1 / (1 - 9.0 / 64) + 1);
        Assert.Equal(expected, adcc.Mean, 4);
    }

    [Fact]
    public void ArccCombinesItsPartsAsTheHarmonicMean()
    {
        using var scope = NewDisposeScope();
        var model = new MetricNet();
        var x = DeterministicInit.Input(new long[] { 2, 3, 12, 12 });
        manual_seed(5);
        var maps = rand(2, 12, 12);
        var explainedWith = new List<long[]>();
        using var r = Arcc.Compute(model, x, maps, new[] { 1, 3 }, (images, classes) =>
        {
            explainedWith.Add(classes.data<long>().ToArray());
            return (images.select(1, 0).abs() / 2).clamp(0, 1);
        }, new RoadOptions { Percentiles = Arcc.DefaultPercentiles, Seed = 1 });
        Assert.Equal(new[] { 1L, 3L }, explainedWith.Single());
        var road = (r.Road * 2).clamp(0, 1);
        var expected = 3 / (1 / (r.Coherency + 1e-8) + 1 / (1 - r.Complexity + 1e-8) + 1 / (road + 1e-8));
        Assert.True(TestTensors.MaxAbsDiff(r.Score, expected) < 1e-5f);
    }

    [Fact]
    public void ConfidenceBinsHaveEqualCountsAndPerBinMeans()
    {
        using var scope = NewDisposeScope();
        var confidence = tensor(new[] { 0.9, 0.1, 0.5, 0.3, 0.7, 0.2, 0.8, 0.4, 0.6, 1.0 });
        using var bins = ConfidenceBins.FromConfidences(confidence);
        Assert.Equal(new long[] { 4, 0, 2, 1, 3, 0, 3, 1, 2, 4 }, bins.Bin.data<long>().ToArray());
        Assert.Equal(new long[] { 2, 2, 2, 2, 2 }, bins.Counts);
        Assert.Equal(new[] { 0.1, 0.3, 0.5, 0.7, 0.9 }, bins.Lower.data<double>().ToArray());
        var metric = tensor(new[] { 9f, 1f, 5f, 3f, 7f, 2f, 8f, float.NaN, 6f, 10f });
        Assert.Equal(new[] { 1.5, 3, 5.5, 7.5, 9.5 }, bins.Means(metric).data<double>().ToArray());

        // Ties go by index; more bins than images leave bins empty.
        using var tied = ConfidenceBins.FromConfidences(tensor(new[] { 0.5f, 0.5f, 0.5f }), bins: 4);
        Assert.Equal(new long[] { 0, 1, 2 }, tied.Bin.data<long>().ToArray());
        Assert.True(double.IsNaN(tied.Means(ones(3)).data<double>().ToArray()[3]));
    }

    [Fact]
    public void ConfidenceBinsOfAModelUseItsSoftmaxMaximum()
    {
        using var scope = NewDisposeScope();
        var model = new ConvGapLinear();
        var x = TestTensors.Batch(10, 8, 8);
        using var bins = ConfidenceBins.Compute(model, x, bins: 5, batchSize: 3);
        Tensor p;
        using (no_grad()) p = model.call(x).softmax(1);
        Assert.True(TestTensors.MaxAbsDiff(bins.Confidence.to(ScalarType.Float32), p.amax(new long[] { 1 })) < 1e-7f);
        Assert.Equal(p.argmax(1).data<long>().ToArray(), bins.Predicted!.data<long>().ToArray());
        Assert.Equal(new long[] { 2, 2, 2, 2, 2 }, bins.Counts);
    }
}
