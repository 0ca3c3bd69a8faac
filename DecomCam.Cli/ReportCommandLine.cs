using System.CommandLine;
using DecomCamNet.Batches.Reports;
using DecomCamNet.Evaluation.Runs;

namespace DecomCamNet.Cli;

/// <summary>
/// <c>decomcam report DIR</c>: writes <c>DIR/report.html</c>, one self-contained page to browse an image set's outputs
/// (<see cref="ImageSetReport"/>) or an evaluation's results (<see cref="EvaluationHtmlReport"/>); <c>--report</c> on
/// explain's image sets and on evaluate writes the same page at the end of the run.
/// </summary>
internal static class ReportCommandLine
{
    public const string Description = "Write DIR/report.html: one self-contained page (no network) to browse the output folder of an image " +
        "set (explain --input ... --out DIR: a gallery of overlays, sortable by score, filtered by class and failure, 100 images " +
        "a page) or of an evaluation (evaluate --out DIR: the tables and the charts).";

    /// <summary>The <c>report</c> command.</summary>
    public static Command Create()
    {
        var folder = new Argument<string>("DIR") { Description = "an image set's or an evaluation's output folder" };
        var command = new Command("report", Description) { folder };
        command.SetAction(p =>
        {
            p.InvocationConfiguration.Output.WriteLine($"wrote {Write(p.GetRequiredValue(folder))}");
            return 0;
        });
        return command;
    }

    /// <summary>Writes the page of <paramref name="folder"/>, an image set's (a manifest) or else an evaluation's (results.md); returns its path.</summary>
    public static string Write(string folder)
    {
        if (!Directory.Exists(folder)) throw new CliException($"'{folder}' is not a folder.");
        try
        {
            if (ImageSetReport.IsImageSetFolder(folder)) return ImageSetReport.Write(folder);
            if (EvaluationHtmlReport.IsEvaluationFolder(folder)) return EvaluationHtmlReport.Write(folder);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException) { throw new CliException(e.Message); }
        throw new CliException($"'{folder}' holds neither an image set's manifest (manifest*.jsonl, written by decomcam explain --input ... " +
            "--out DIR) nor an evaluation's results.md (written by decomcam evaluate --out DIR).");
    }
}
