using System.Diagnostics;
using System.Globalization;

namespace DecomCamNet.Cli;

/// <summary>
/// Progress of long work on stderr, once it has run for more than a second: on a terminal, one line redrawn in place
/// with a bar, the count, the rate and the time left; when stderr is redirected (CI logs, files), a plain line every
/// <see cref="PlainInterval"/> and one at the end, so that logs show progress without carriage returns.
/// </summary>
internal sealed class ProgressBar : IProgress<CamProgress>
{
    /// <summary>How often a redirected stderr gets a line.</summary>
    public static readonly TimeSpan PlainInterval = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan Delay = TimeSpan.FromSeconds(1);

    private readonly TextWriter _writer;
    private readonly bool _enabled;
    private readonly bool _terminal;
    private readonly Func<TimeSpan> _elapsed;
    private TimeSpan _start;
    private TimeSpan? _lastPlain;
    private bool _drawn;
    private string _last = "";

    /// <summary>Progress on <paramref name="writer"/>; <paramref name="terminal"/> null: whether it is an unredirected console.</summary>
    public ProgressBar(TextWriter writer, bool enabled, bool? terminal = null, Func<TimeSpan>? elapsed = null)
    {
        _writer = writer;
        _enabled = enabled;
        _terminal = terminal ?? (ReferenceEquals(writer, Console.Error) && !Console.IsErrorRedirected);
        var clock = Stopwatch.StartNew();
        _elapsed = elapsed ?? (() => clock.Elapsed);
        _start = _elapsed();
    }

    /// <summary>Counts time (the delay, the rate) from now.</summary>
    public void Restart() => _start = _elapsed();

    public void Report(CamProgress value)
    {
        var elapsed = _elapsed() - _start;
        if (!_enabled || elapsed < Delay) return;
        double rate = value.Done / Math.Max(elapsed.TotalSeconds, 1e-9);
        string left = value.Done >= value.Total ? "done" : rate > 0 ? $"about {Duration((value.Total - value.Done) / rate)} left" : "";
        string counts = string.Create(CultureInfo.InvariantCulture, $"{value.Done}/{value.Total}, {rate:0.##}/s, {left}");
        if (_terminal)
        {
            const int width = 30;
            int filled = (int)Math.Round(value.Fraction * width);
            string line = $"\r{value.Stage,-18} [{new string('#', filled)}{new string('.', width - filled)}] {counts}";
            if (line == _last) return;
            _writer.Write(line.PadRight(_last.Length));
            _last = line;
            _drawn = true;
            return;
        }
        if (value.Done < value.Total && _lastPlain is { } last && elapsed - last < PlainInterval) return;
        if (value.Done >= value.Total && _last == value.Stage + counts) return;
        _writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{value.Stage} {100 * value.Fraction:F0}% ({counts})"));
        _last = value.Stage + counts;
        _lastPlain = elapsed;
    }

    public void Finish()
    {
        if (_drawn) _writer.WriteLine();
        _drawn = false;
        _last = "";
        _lastPlain = null;
    }

    private static string Duration(double seconds) => seconds >= 3600
        ? string.Create(CultureInfo.InvariantCulture, $"{(int)(seconds / 3600)}h{(int)(seconds % 3600 / 60):D2}m")
        : seconds >= 60 ? string.Create(CultureInfo.InvariantCulture, $"{(int)(seconds / 60)}m{(int)(seconds % 60):D2}s")
        : string.Create(CultureInfo.InvariantCulture, $"{Math.Ceiling(seconds):F0}s");
}
