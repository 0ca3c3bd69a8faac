using System.Diagnostics;

namespace DecomCamNet.Cli;

/// <summary>
/// A one-line progress bar on stderr that appears only once work has run for more than a second, and only when
/// stderr is a terminal or <c>force</c> is set.
/// </summary>
internal sealed class ProgressBar(TextWriter writer, bool enabled) : IProgress<CamProgress>
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private bool _drawn;
    private string _last = "";

    public void Restart() => _clock.Restart();

    public void Report(CamProgress value)
    {
        if (!enabled || _clock.Elapsed < TimeSpan.FromSeconds(1)) return;
        const int width = 30;
        int filled = (int)Math.Round(value.Fraction * width);
        string line = $"\r{value.Stage,-18} [{new string('#', filled)}{new string('.', width - filled)}] {value.Done}/{value.Total}";
        if (line == _last) return;
        writer.Write(line);
        _last = line;
        _drawn = true;
    }

    public void Finish()
    {
        if (_drawn) writer.WriteLine();
        _drawn = false;
        _last = "";
    }
}
