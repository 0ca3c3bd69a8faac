using System.CommandLine;
using System.CommandLine.Invocation;

namespace DecomCamNet.Cli;

/// <summary>The command-line entry point: parses, runs, and turns failures into one-line errors with exit codes.</summary>
public static class CliApp
{
    /// <summary>Runs the CLI with <paramref name="args"/>; returns the exit code (0 ok, 1 failure, 2 usage error).</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var cli = new CliCommandLine();
        var parse = cli.Root.Parse(args);
        if (parse.Action is ParseErrorAction)
        {
            stderr.WriteLine($"error: {CliCommandLine.Error(parse)}");
            return 2;
        }
        try
        {
            return parse.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
        }
        catch (CliException e)
        {
            stderr.WriteLine($"error: {e.Message}");
            return 2;
        }
        catch (Exception e)
        {
            stderr.WriteLine($"error: {(parse.GetValue(cli.Verbose) ? e : e.Message)}{Hint(e)}");
            return 1;
        }
    }

    /// <summary>What the command line offers for a library failure, in its own options; empty when nothing.</summary>
    private static string Hint(Exception e) => e switch
    {
        NotAFeatureMapException => " On the command line: --reshape vit (or vit-seq-first, swin).",
        _ => "",
    };
}
