using DecomCamNet.Cli;

namespace DecomCamNet.Tests.Support;

/// <summary>Runs the command line in-process and keeps a temporary folder for its outputs (deleted on dispose).</summary>
public abstract class CliRun : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("decomcam-cli-").FullName;

    /// <summary>A path in the test's temporary folder.</summary>
    protected string P(string name) => Path.Combine(_dir, name);

    /// <summary>The temporary folder.</summary>
    protected string Folder => _dir;

    /// <summary>Exit code, stdout and stderr of <c>decomcam</c> with <paramref name="args"/>.</summary>
    protected static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = CliApp.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Directory.Delete(_dir, recursive: true);
        GC.SuppressFinalize(this);
    }
}
