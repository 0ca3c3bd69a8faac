using BenchmarkDotNet.Running;

namespace DecomCamNet.Benchmarks;

/// <summary>Reads a benchmark case's parameter values for the custom columns.</summary>
internal static class BenchmarkCaseParameters
{
    /// <summary>The value of parameter <paramref name="name"/> as text; empty when the case has none.</summary>
    public static string Param(this BenchmarkCase benchmarkCase, string name) =>
        benchmarkCase.Parameters.Items.FirstOrDefault(p => p.Name == name)?.Value?.ToString() ?? "";
}
