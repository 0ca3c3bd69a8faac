using System.Diagnostics;
using System.Globalization;

namespace DecomCamNet.ExplainService.Soak;

/// <summary>Samples the process's resident memory (<c>VmRSS</c> of <c>/proc/self/status</c>) on its own thread.</summary>
internal sealed class RssSampler : IDisposable
{
    private readonly List<(TimeSpan At, double Megabytes)> _samples = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private bool _stopped;

    public RssSampler(TimeSpan interval)
    {
        _thread = new Thread(() =>
        {
            do Sample(); while (!_stop.Token.WaitHandle.WaitOne(interval));
        }) { Name = "soak-rss", IsBackground = true };
        _thread.Start();
    }

    /// <summary>The highest sample taken in the first and in the last quarter of the sampling time (null where none).</summary>
    public (double? First, double? Last) QuarterPeaks()
    {
        lock (_samples)
        {
            if (_samples.Count == 0) return (null, null);
            var end = _samples[^1].At;
            double? Peak(Func<TimeSpan, bool> inQuarter) =>
                _samples.Where(s => inQuarter(s.At)).Select(s => (double?)s.Megabytes).Max();
            return (Peak(t => t <= end / 4), Peak(t => t >= end * 3 / 4));
        }
    }

    /// <summary>Stops sampling after one last sample; idempotent.</summary>
    public void Dispose()
    {
        if (_stopped) return;
        _stopped = true;
        _stop.Cancel();
        _thread.Join();
        Sample();
        _stop.Dispose();
    }

    private void Sample()
    {
        if (ResidentMegabytes() is not double mb) return;
        lock (_samples) _samples.Add((_clock.Elapsed, mb));
    }

    /// <summary>VmRSS in MB (Linux); elsewhere the working set, which is the same quantity.</summary>
    private static double? ResidentMegabytes()
    {
        if (!OperatingSystem.IsLinux()) return Environment.WorkingSet / 1048576.0;
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (!line.StartsWith("VmRSS:", StringComparison.Ordinal)) continue;
            var kilobytes = line["VmRSS:".Length..].Trim().Split(' ')[0];
            return long.Parse(kilobytes, CultureInfo.InvariantCulture) / 1024.0;
        }
        return null;
    }
}
