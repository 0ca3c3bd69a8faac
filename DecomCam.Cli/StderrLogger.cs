using Microsoft.Extensions.Logging;

namespace DecomCamNet.Cli;

/// <summary>A minimal logger for --verbose: one line per message on stderr.</summary>
internal sealed class StderrLogger(TextWriter writer) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        => writer.WriteLine($"[{logLevel}] {formatter(state, exception)}");
}
