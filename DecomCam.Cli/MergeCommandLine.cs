using System.CommandLine;
using DecomCamNet.Batches;

namespace DecomCamNet.Cli;

/// <summary>
/// <c>decomcam merge DIR...</c>: combines the manifests of the shards of an image set (<c>explain --shard</c>) into one,
/// after checking that every input of the set appears exactly once; with <c>--evaluation</c>, the shards of
/// <c>evaluate --shard</c> into one evaluation's results (<see cref="Evaluation.Runs.EvaluationMerge"/>).
/// </summary>
internal static class MergeCommandLine
{
    public const string Description = "Combine the shard manifests of an image set (explain --input ... --out DIR --shard i/n) into one " +
        "manifest, checking that every shard is there and every image appears exactly once; with --evaluation, the shards of " +
        "evaluate --shard i/n into one evaluation (results.md, rows.csv, charts).";

    /// <summary>The <c>merge</c> command.</summary>
    public static Command Create()
    {
        var folders = new Argument<string[]>("DIR") { Arity = ArgumentArity.OneOrMore, Description = "output folders of the shards" };
        var output = new Option<string?>("--output") { HelpName = "PATH",
            Description = "the merged manifest (default: manifest.jsonl in the first DIR); with --evaluation, the results' folder (default: the first DIR)" };
        var evaluation = new Option<bool>("--evaluation") { Description = "merge the shards of evaluate --shard i/n (evaluation.shard-i-of-n.json)" };
        var command = new Command("merge", Description) { folders, output, evaluation };
        command.SetAction(p =>
        {
            var dirs = p.GetRequiredValue(folders);
            if (p.GetValue(evaluation)) return MergeEvaluation(dirs, p.GetValue(output) ?? dirs[0], p.InvocationConfiguration.Output);
            string path = p.GetValue(output) ?? Path.Combine(dirs[0], Manifest.FileName(ShardSpec.All));
            IReadOnlyList<ManifestRow> rows;
            try { rows = ShardMerge.Merge(dirs); }
            catch (Exception e) when (e is InvalidDataException or DirectoryNotFoundException) { throw new CliException(e.Message + Hint(dirs)); }
            Manifest.Write(path, rows);
            int failed = rows.Count(r => r.Error is not null);
            int images = rows.Select(r => r.Input).Distinct(StringComparer.Ordinal).Count(); // a detector's image has a row per box
            p.InvocationConfiguration.Output.WriteLine($"merged {images} images ({failed} failed{(rows.Count == images ? "" : $", {rows.Count} rows")}) into {path}");
            return ImageSetCommand.ExitCode(failed);
        });
        return command;
    }

    /// <summary>Where shards come from, when <paramref name="dirs"/> hold no shard plans.</summary>
    private static string Hint(string[] dirs) =>
        dirs.All(Directory.Exists) && !dirs.Any(d => Directory.EnumerateFiles(d, ShardPlan.ShardFilePattern).Any())
            ? " Shards are written by decomcam explain --out DIR --shard i/n; those of evaluate --shard merge with merge --evaluation."
            : "";

    /// <summary>Where evaluation shards come from, when <paramref name="dirs"/> hold none.</summary>
    private static string EvaluationHint(string[] dirs) =>
        dirs.All(Directory.Exists) && !dirs.Any(d => Directory.EnumerateFiles(d, "evaluation.shard-*.json").Any())
            ? " They are written by decomcam evaluate --shard i/n."
            : "";

    private static int MergeEvaluation(string[] dirs, string output, TextWriter stdout)
    {
        Evaluation.Runs.EvaluationResults results;
        try { results = Evaluation.Runs.EvaluationMerge.Merge(dirs); }
        catch (Evaluation.Runs.EvaluationInputException e) { throw new CliException(e.Message + EvaluationHint(dirs)); }
        EvaluateCommand.Write(results, output, stdout);
        return 0;
    }
}
