using DecomCamNet.Evaluation.Metrics;
using DecomCamNet.Tests.Support;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Evaluation;

/// <summary>
/// The metrics leave nothing behind (live tensors, training flags, gradient mode), also when they throw or are
/// cancelled, and reject bad inputs with messages that name the problem.
/// </summary>
public class MetricsLifetimeTests
{
    private sealed class Setup : IDisposable
    {
        public Setup()
        {
            Model = new ConvGapLinear();
            X = TestTensors.Batch(3, 10, 10);
            manual_seed(2);
            Maps = rand(3, 10, 10);
            Masks = Maps.gt(0.7);
        }

        public ConvGapLinear Model { get; }
        public Tensor X { get; }
        public Tensor Maps { get; }
        public Tensor Masks { get; }
        public int[] Classes { get; } = { 0, 3, 4 };

        public void Dispose()
        {
            foreach (var t in new[] { X, Maps, Masks }) t.Dispose();
            Model.Dispose();
        }
    }

    private static Tensor Explain(Tensor images, Tensor classes) => (images.select(1, 0).abs() / 3).clamp(0, 1);

    public static TheoryData<string> Metrics => new()
    {
        "confidence", "deletion", "insertion", "road", "impute", "pointing", "energy", "complexity", "coherency", "arcc", "adcc", "bins",
    };

    private static void Run(string metric, Setup s, TargetClasses? classes = null, IProgress<CamProgress>? progress = null, CancellationToken token = default)
    {
        var (m, x, maps, c) = (s.Model, s.X, s.Maps, classes ?? s.Classes);
        var road = new RoadOptions { Percentiles = new double[] { 25, 75 }, BatchSize = 2, Seed = 3 };
        var curve = new PerturbationCurveOptions { Steps = 10, BatchSize = 4 };
        IDisposable result = metric switch
        {
            "confidence" => ConfidenceChange.Compute(m, x, maps, c, 2, progress, token),
            "deletion" => DeletionInsertion.Deletion(m, x, maps, c, curve, progress, token),
            "insertion" => DeletionInsertion.Insertion(m, x, maps, c, curve, progress, token),
            "road" => Road.Evaluate(m, x, maps, c, road, progress, token),
            "impute" => Road.Impute(x, maps, RoadOrder.MostRelevantFirst, 50, road),
            "pointing" => PointingGame.Evaluate(maps, s.Masks),
            "energy" => EnergyPointingGame.Compute(maps, s.Masks),
            "complexity" => MapComplexity.Compute(maps),
            "coherency" => MapCoherency.Compute(x, maps, s.Classes, Explain),
            "arcc" => Arcc.Compute(m, x, maps, s.Classes, Explain, road, progress, token),
            "adcc" => Adcc.Compute(m, x, maps, s.Classes, Explain, 2, token),
            "bins" => ConfidenceBins.Compute(m, x, 3, 2, progress, token),
            _ => throw new ArgumentException(metric),
        };
        result.Dispose();
    }

    [Theory]
    [MemberData(nameof(Metrics))]
    public void ManyCallsLeaveNoTensor(string metric)
    {
        using var s = new Setup();
        Run(metric, s);
        long before = TestTensors.LiveTensors;
        for (int i = 0; i < 5; i++) Run(metric, s);
        Assert.Equal(before, TestTensors.LiveTensors);
    }

    [Theory]
    [MemberData(nameof(Metrics))]
    public void CallsInsideAScopeLeaveItEmpty(string metric)
    {
        using var s = new Setup();
        long outside = TestTensors.LiveTensors;
        using (var scope = NewDisposeScope())
        {
            Run(metric, s);
            Assert.Equal(0, scope.DisposablesCount);
        }
        Assert.Equal(outside, TestTensors.LiveTensors);
    }

    [Theory]
    [InlineData("confidence")]
    [InlineData("deletion")]
    [InlineData("road")]
    [InlineData("bins")]
    public void TheModelsFlagsAndGradientModeAreRestored(string metric)
    {
        using var s = new Setup();
        s.Model.train();
        s.Model.fc.eval();
        Run(metric, s);
        Assert.True(s.Model.training);
        Assert.True(s.Model.features.training);
        Assert.False(s.Model.fc.training);
        Assert.True(is_grad_enabled());
        Assert.All(s.Model.parameters(), p => Assert.True(p.requires_grad));
    }

    [Theory]
    [InlineData("confidence")]
    [InlineData("deletion")]
    [InlineData("insertion")]
    [InlineData("road")]
    public void AClassOutOfRangeThrowsAfterTheFirstForwardAndLeavesNothing(string metric)
    {
        using var s = new Setup();
        s.Model.train();
        Run(metric, s);
        long before = TestTensors.LiveTensors;
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Run(metric, s, new[] { 0, 9, 1 }));
        Assert.Contains("9", e.Message);
        Assert.Contains("5 outputs", e.Message);
        Assert.Equal(before, TestTensors.LiveTensors);
        Assert.True(s.Model.training);
        Assert.True(is_grad_enabled());
    }

    [Theory]
    [InlineData("deletion")]
    [InlineData("road")]
    public void CancellingBetweenBatchesLeavesNothing(string metric)
    {
        using var s = new Setup();
        Run(metric, s);
        long before = TestTensors.LiveTensors;
        using var cts = new CancellationTokenSource();
        var reports = new List<CamProgress>();
        var cancelOnFirstReport = new SyncProgress(p => { reports.Add(p); cts.Cancel(); });
        Assert.Throws<OperationCanceledException>(() => Run(metric, s, progress: cancelOnFirstReport, token: cts.Token));
        Assert.Single(reports);
        Assert.Equal(before, TestTensors.LiveTensors);
        Assert.True(is_grad_enabled());
    }

    [Fact]
    public void ProgressReachesTheTotal()
    {
        using var s = new Setup();
        var reports = new List<CamProgress>();
        Run("deletion", s, progress: new SyncProgress(reports.Add));
        Assert.Equal(3 * 11, reports[^1].Total);
        Assert.Equal(1.0, reports[^1].Fraction);
        Assert.Equal("deletion", reports[^1].Stage);
    }

    [Fact]
    public void BadInputsThrowNamingTheProblem()
    {
        using var scope = NewDisposeScope();
        var model = new ConvGapLinear();
        var x = TestTensors.Batch(2, 8, 8);
        var maps = full(2, 8, 8, 0.5f);

        Assert.Contains("[2,6,8]", Assert.Throws<ArgumentException>(() => ConfidenceChange.Compute(model, x, full(2, 6, 8, 0.5f))).Message);
        Assert.Contains("[N,C,H,W]", Assert.Throws<ArgumentException>(() => ConfidenceChange.Compute(model, x[0], maps)).Message);
        var range = Assert.Throws<ArgumentOutOfRangeException>(() => DeletionInsertion.Deletion(model, x, maps * 3));
        Assert.Contains("[0,1]", range.Message);
        Assert.Contains("1.5", range.Message);
        Assert.Contains("3 target classes", Assert.Throws<ArgumentException>(() => Road.Evaluate(model, x, maps, new[] { 0, 1, 2 })).Message);
        Assert.Contains("negative", Assert.Throws<ArgumentOutOfRangeException>(() => ConfidenceChange.Compute(model, x, maps, tensor(new long[] { 0, -1 }))).Message);
        Assert.Contains("integer", Assert.Throws<ArgumentException>(() => ConfidenceChange.Compute(model, x, maps, tensor(new[] { 0f, 1f }))).Message);
        Assert.Contains("Steps", Assert.Throws<ArgumentOutOfRangeException>(() => DeletionInsertion.Insertion(model, x, maps, null, new PerturbationCurveOptions { Steps = 0 })).Message);
        Assert.Contains("percentiles", Assert.Throws<ArgumentOutOfRangeException>(() => Road.Evaluate(model, x, maps, null, new RoadOptions { Percentiles = new double[] { 50, 120 } })).Message);
        Assert.Contains("batch size", Assert.Throws<ArgumentOutOfRangeException>(() => ConfidenceChange.Compute(model, x, maps, null, batchSize: 0)).Message);
        Assert.Contains("0 and 1", Assert.Throws<ArgumentException>(() => PointingGame.Evaluate(maps, full(2, 8, 8, 2f))).Message);
        Assert.Contains("[2,8,8]", Assert.Throws<ArgumentException>(() => EnergyPointingGame.Compute(maps, ones(2, 8, 7))).Message);
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => MapComplexity.Compute(full(1, 4, 4, float.NaN))).Message);
        Assert.Contains("classes", Assert.Throws<ArgumentException>(() => MapCoherency.Compute(x, maps, TargetClasses.Predicted, (i, _) => i.select(1, 0))).Message);
        Assert.Contains("[2,8,8]", Assert.Throws<ArgumentException>(() => MapCoherency.Compute(x, maps, new[] { 0, 1 }, (i, _) => i)).Message);
        Assert.Contains("logits [N,K]", Assert.Throws<ArgumentException>(() => ConfidenceChange.Compute(new IntactFractionNetFlat(), x, maps, new[] { 0, 0 })).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => ConfidenceBins.FromConfidences(tensor(new[] { 0.5 }), bins: 0));
        Assert.Contains("[N]", Assert.Throws<ArgumentException>(() => ConfidenceBins.FromConfidences(ones(2, 2))).Message);
    }

    /// <summary>A model that returns one score per image [N] instead of logits [N,K].</summary>
    private sealed class IntactFractionNetFlat() : nn.Module<Tensor, Tensor>(nameof(IntactFractionNetFlat))
    {
        public override Tensor forward(Tensor x) => x.mean(new long[] { 1, 2, 3 });
    }
}
