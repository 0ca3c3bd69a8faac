namespace DecomCamNet.Cli;

/// <summary>The command-line entry point: parses, runs, and turns failures into one-line errors with exit codes.</summary>
public static class CliApp
{
    /// <summary>Runs the CLI with <paramref name="args"/>; returns the exit code (0 ok, 1 failure, 2 usage error).</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        bool verbose = args.Contains("--verbose");
        try
        {
            if (args.Length > 0 && args[0] == "evaluate") return Evaluate(args, stdout, stderr);
            var options = CliOptions.Parse(args);
            if (options.Help)
            {
                stdout.WriteLine(CliOptions.Usage);
                return 0;
            }
            if (!options.PlainHeap) NativeHeap.KeepFreedMemory();
            if (!options.SpinThreads) OpenMpThreads.UsePassiveWaits();
            if (options.HugePages) NativeHeap.UseHugePages(); // before any tensor exists (libtorch reads it once)
            return new ExplainCommand(options, stdout, stderr).Run();
        }
        catch (CliException e)
        {
            stderr.WriteLine($"error: {e.Message}");
            return 2;
        }
        catch (Exception e) when (!verbose)
        {
            stderr.WriteLine($"error: {e.Message}");
            return 1;
        }
        catch (Exception e)
        {
            stderr.WriteLine($"error: {e}");
            return 1;
        }
    }

    private static int Evaluate(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var options = EvaluateOptions.Parse(args);
        if (options.Help)
        {
            stdout.WriteLine(EvaluateOptions.Usage);
            return 0;
        }
        NativeHeap.KeepFreedMemory();
        OpenMpThreads.UsePassiveWaits();
        return new EvaluateCommand(options, stdout, stderr).Run();
    }
}
