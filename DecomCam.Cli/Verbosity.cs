using Microsoft.Extensions.Logging;

namespace DecomCamNet.Cli;

/// <summary>
/// How much a command writes to stderr besides its results and errors, the same in every command: by default progress,
/// notes and warnings; with <c>--verbose</c> also the library's log (and stack traces on errors); with <c>--quiet</c>
/// none of them.
/// </summary>
internal sealed record Verbosity(bool Verbose = false, bool Quiet = false)
{
    /// <summary>The library's logger: lines on <paramref name="stderr"/> with <c>--verbose</c>, else none.</summary>
    public ILogger? Logger(TextWriter stderr) => Verbose ? new StderrLogger(stderr) : null;

    /// <summary>Progress of long work on <paramref name="stderr"/>, off with <c>--quiet</c>.</summary>
    public ProgressBar Progress(TextWriter stderr) => new(stderr, enabled: !Quiet);

    /// <summary>Writes a note or warning line, unless <c>--quiet</c>.</summary>
    public void Say(TextWriter stderr, string line)
    {
        if (!Quiet) stderr.WriteLine(line);
    }
}
