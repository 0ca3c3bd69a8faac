using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace DecomCamNet.Benchmarks;

/// <summary>
/// Peak resident memory (VmHWM, which includes libtorch's native allocations) during each benchmark case: the peak is
/// reset (<see cref="Reset"/>) when a case starts and recorded (<see cref="Record"/>) when it ends.
/// </summary>
internal sealed class PeakMemoryColumn : IColumn
{
    private static string Folder => Path.Combine(Path.GetTempPath(), "decomcam-bench-peak");

    /// <summary>Resets the process's peak resident memory to its current size (Linux: 5 → /proc/self/clear_refs).</summary>
    public static void Reset()
    {
        try { File.WriteAllText("/proc/self/clear_refs", "5"); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    public static void Record(string key)
    {
        Directory.CreateDirectory(Folder);
        string? line = File.Exists("/proc/self/status") ? File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal)) : null;
        if (line is null) return;
        long kb = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        File.WriteAllText(Path.Combine(Folder, Sanitise(key)), kb.ToString(CultureInfo.InvariantCulture));
    }

    public static string Key(string method, string model, int batch, string layer) => $"{method}_{model}_{batch}_{layer}";

    private static string Sanitise(string key) => string.Concat(key.Select(c => char.IsLetterOrDigit(c) || c == '_' ? c : '-'));

    public string Id => nameof(PeakMemoryColumn);
    public string ColumnName => "Peak RSS";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Size;
    public string Legend => "Peak resident memory of the case's process (managed + native), MiB";
    public bool IsAvailable(Summary summary) => true;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase)
    {
        var file = Path.Combine(Folder, Sanitise(Key(benchmarkCase.Param("Method"), benchmarkCase.Param("Model"), int.TryParse(benchmarkCase.Param("Batch"), out var b) ? b : 0, benchmarkCase.Param("Layer") is { Length: > 0 } l ? l : CamWorkload.DefaultLayer)));
        return File.Exists(file) ? (long.Parse(File.ReadAllText(file), CultureInfo.InvariantCulture) / 1024.0).ToString("F0", CultureInfo.InvariantCulture) + " MiB" : "-";
    }
}
