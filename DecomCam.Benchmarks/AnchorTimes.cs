using System.Globalization;

namespace DecomCamNet.Benchmarks;

/// <summary>
/// The Python anchors' medians, read from the file named by <c>DECOMCAM_ANCHOR_TIMES</c>: lines as
/// <c>anchors/bench_anchors.py</c> prints them (<c>anchor=… method=… model=… median_seconds=…</c>), written by
/// <c>anchors-in-benchmarks.sh</c> just before BenchmarkDotNet runs, so both sides come from one run.
/// </summary>
internal static class AnchorTimes
{
    public const string Variable = "DECOMCAM_ANCHOR_TIMES";

    private static readonly Lazy<IReadOnlyDictionary<(string Method, string Model), (string Anchor, double Seconds)>> Times = new(Load);

    /// <summary>Which anchor method each benchmark case is compared with.</summary>
    public static string AnchorMethod(string caseMethod) => caseMethod switch
    {
        CamWorkload.DecomCamOfficial or CamWorkload.GradCamPlusBatchOf10 => "decomcam",
        CamWorkload.ScoreCamBatch32 => "scorecam",
        _ => caseMethod,
    };

    /// <summary>The anchor and its median seconds for a case, when the file has them.</summary>
    public static (string Anchor, double Seconds)? Find(string caseMethod, string model) =>
        Times.Value.TryGetValue((AnchorMethod(caseMethod), model), out var hit) ? hit : null;

    private static IReadOnlyDictionary<(string, string), (string, double)> Load()
    {
        var result = new Dictionary<(string, string), (string, double)>();
        var path = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrEmpty(path) || !File.Exists(path)) return result;
        foreach (var line in File.ReadLines(path))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Select(f => f.Split('=', 2)).Where(kv => kv.Length == 2).ToDictionary(kv => kv[0], kv => kv[1]);
            if (fields.TryGetValue("anchor", out var anchor) && fields.TryGetValue("method", out var method) &&
                fields.TryGetValue("model", out var model) && fields.TryGetValue("median_seconds", out var seconds))
                result[(method, model)] = (anchor, double.Parse(seconds, CultureInfo.InvariantCulture));
        }
        return result;
    }
}
