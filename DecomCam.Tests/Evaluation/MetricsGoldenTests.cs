using System.Text.Json;
using DecomCamNet.Evaluation.Metrics;
using DecomCamNet.Imaging;
using DecomCamNet.Tests.Support;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Evaluation;

/// <summary>
/// Parity with pytorch-grad-cam's metric classes (reference/evaluation_metrics_reference.py): the confidence change,
/// DropInConfidence, IncreaseInConfidence, the relative Average Drop, ROAD (MoRF/LeRF at 10..90 without noise, combined),
/// one imputed image, and the correlation and complexity of arcc.py, on MetricNet with detinit weights and input.
/// </summary>
public class MetricsGoldenTests
{
    private static readonly JsonElement Golden = JsonDocument.Parse(File.ReadAllText(RepoPaths.Golden("evaluation", "metrics.json"))).RootElement;

    private static float[] Vector(string key) => Golden.GetProperty(key).EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();

    private static float[,] Matrix(string key)
    {
        var rows = Golden.GetProperty(key).EnumerateArray().Select(r => r.EnumerateArray().Select(e => (float)e.GetDouble()).ToArray()).ToArray();
        var m = new float[rows.Length, rows[0].Length];
        for (int i = 0; i < rows.Length; i++) for (int j = 0; j < rows[0].Length; j++) m[i, j] = rows[i][j];
        return m;
    }

    private static void Close(float[] expected, Tensor actual, float tolerance)
    {
        var a = actual.to(ScalarType.Float32).data<float>().ToArray();
        Assert.Equal(expected.Length, a.Length);
        for (int i = 0; i < a.Length; i++)
            Assert.True(Math.Abs(expected[i] - a[i]) <= tolerance, $"[{i}] expected {expected[i]}, got {a[i]}");
    }

    private static (MetricNet Model, Tensor X, Tensor Maps, int[] Classes) Case() =>
        (new MetricNet(), DeterministicInit.Input(new long[] { 2, 3, 16, 16 }), NpyFile.Read(RepoPaths.Golden("evaluation", "maps.npy")), new[] { 1, 3 });

    [Fact]
    public void ConfidenceChangeMatchesPytorchGradCam()
    {
        using var scope = NewDisposeScope();
        var (model, x, maps, classes) = Case();
        using var r = ConfidenceChange.Compute(model, x, maps, classes);
        Close(Vector("original"), r.Original, 1e-6f);
        Close(Vector("perturbed"), r.Perturbed, 1e-6f);
        Close(Vector("change"), r.Change, 1e-6f);
        Close(Vector("drop_in_confidence"), r.AbsoluteDrop, 1e-6f);
        Close(Vector("increase_in_confidence"), r.Increase / 100, 0);
        Close(Vector("average_drop_percent"), r.Drop, 1e-4f);
    }

    [Fact]
    public void RoadWithoutNoiseMatchesPytorchGradCam()
    {
        using var scope = NewDisposeScope();
        var (model, x, maps, classes) = Case();
        using var r = Road.Evaluate(model, x, maps, classes, new RoadOptions { Noise = 0 });
        var morf = Matrix("road_morf_change");
        var lerf = Matrix("road_lerf_change");
        var y = r.Original.unsqueeze(1);
        var morfChange = (r.MostRelevantFirst - y).data<float>().ToArray();
        var lerfChange = (r.LeastRelevantFirst - y).data<float>().ToArray();
        for (int i = 0; i < 2; i++)
        for (int j = 0; j < 9; j++)
        {
            Assert.True(Math.Abs(morf[i, j] - morfChange[i * 9 + j]) < 2e-6f, $"MoRF image {i} percentile {10 * (j + 1)}: {morf[i, j]} vs {morfChange[i * 9 + j]}");
            Assert.True(Math.Abs(lerf[i, j] - lerfChange[i * 9 + j]) < 2e-6f, $"LeRF image {i} percentile {10 * (j + 1)}: {lerf[i, j]} vs {lerfChange[i * 9 + j]}");
        }
        Close(Vector("road_combined"), r.Combined, 2e-6f);
    }

    [Fact]
    public void NoisyLinearImputationMatchesPytorchGradCamsSparseSolve()
    {
        using var scope = NewDisposeScope();
        var (_, x, maps, _) = Case();
        var expected = NpyFile.Read(RepoPaths.Golden("evaluation", "road_morf40_image1.npy"));
        var imputed = Road.Impute(x.narrow(0, 1, 1), maps.narrow(0, 1, 1), RoadOrder.MostRelevantFirst, 40, new RoadOptions { Noise = 0 });
        Assert.True(TestTensors.MaxAbsDiff(imputed[0], expected) < 1e-5f, $"{TestTensors.MaxAbsDiff(imputed[0], expected)}");
    }

    [Fact]
    public void CoherencyAndComplexityMatchArccPy()
    {
        using var scope = NewDisposeScope();
        var (_, x, maps, classes) = Case();
        var coherency = MapCoherency.Compute(x, maps, classes, (_, _) => maps.square());
        Close(Vector("pearson_square").Select(p => (p + 1) / 2).ToArray(), coherency, 1e-6f);
        Close(Vector("complexity"), MapComplexity.Compute(maps), 1e-6f);
    }
}
