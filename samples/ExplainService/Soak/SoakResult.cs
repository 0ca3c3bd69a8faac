using System.Globalization;

namespace DecomCamNet.ExplainService.Soak;

/// <summary>What a soak found.</summary>
/// <param name="Requests">Requests answered 200 under load (each compared with its reference).</param>
/// <param name="Mismatches">Maps further than the tolerance from the same request served alone.</param>
/// <param name="Errors">Answers other than 200 and 503, and requests that failed in transport.</param>
/// <param name="Crashes">Worker threads that died, and exceptions nothing caught (unhandled, or unobserved tasks).</param>
/// <param name="Retries">503 answers (queue full), each retried.</param>
/// <param name="RssFirstQuarterMb">Peak resident memory in the first quarter of the load.</param>
/// <param name="RssLastQuarterMb">Peak resident memory in the last quarter of the load.</param>
/// <param name="LargestDifference">The largest map difference seen.</param>
/// <param name="Collections">Forced garbage collections during the load.</param>
public sealed record SoakResult(long Requests, long Mismatches, long Errors, long Crashes, long Retries, double RssFirstQuarterMb,
    double RssLastQuarterMb, double LargestDifference, long Collections)
{
    /// <summary>True when nothing went wrong and at least one request was served.</summary>
    public bool Passed => Requests > 0 && Mismatches == 0 && Errors == 0 && Crashes == 0;

    /// <summary>The summary line: <c>soak: N requests, 0 mismatches, 0 errors, 0 crashes, RSS first quarter X MB, last quarter Y MB</c>.</summary>
    public string Line => string.Create(CultureInfo.InvariantCulture,
        $"soak: {Requests} requests, {Mismatches} mismatches, {Errors} errors, {Crashes} crashes, RSS first quarter {RssFirstQuarterMb:F0} MB, last quarter {RssLastQuarterMb:F0} MB");
}
