using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace DecomCamNet.Benchmarks;

/// <summary>
/// Side-by-side columns: the Python anchor a case is compared with and its median (<see cref="AnchorTimes"/>), and the
/// ratio of the case's own median to it (below 1: we are faster).
/// </summary>
internal sealed class AnchorColumn : IColumn
{
    private readonly bool _ratio;

    private AnchorColumn(bool ratio) => _ratio = ratio;

    /// <summary>The anchor's name and median.</summary>
    public static AnchorColumn Time { get; } = new(false);

    /// <summary>Our median over the anchor's.</summary>
    public static AnchorColumn Ratio { get; } = new(true);

    public string Id => _ratio ? "AnchorRatio" : "AnchorTime";
    public string ColumnName => _ratio ? "× anchor" : "Anchor (Python)";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => _ratio ? 2 : 1;
    public bool IsNumeric => _ratio;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => _ratio ? "Median over the Python anchor's median, measured in the same run" : "The Python library and its median (anchors/bench_anchors.py)";
    public bool IsAvailable(Summary summary) => true;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase)
    {
        if (AnchorTimes.Find(benchmarkCase.Param("Method"), benchmarkCase.Param("Model")) is not { } anchor) return "-";
        if (!_ratio) return $"{anchor.Anchor} {anchor.Seconds.ToString("F3", CultureInfo.InvariantCulture)} s";
        var median = summary[benchmarkCase]?.ResultStatistics?.Median;
        return median is null ? "-" : (median.Value / 1e9 / anchor.Seconds).ToString("F2", CultureInfo.InvariantCulture);
    }
}
