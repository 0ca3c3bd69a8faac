using System.CommandLine;
using DecomCamNet.Batches;

namespace DecomCamNet.Cli;

/// <summary>
/// <c>decomcam merge DIR...</c>: combines the manifests of the shards of an image set (<c>explain --shard</c>) into one,
/// after checking that every input of the set appears exactly once.
/// </summary>
internal static class MergeCommandLine
{
    public const string Description = "Combine the shard manifests of an image set (explain --input ... --out DIR --shard i/n) into one " +
        "manifest, checking that every shard is there and every image appears exactly once.";

    /// <summary>The <c>merge</c> command.</summary>
    public static Command Create()
    {
        var folders = new Argument<string[]>("DIR") { Arity = ArgumentArity.OneOrMore, Description = "output folders of the shards" };
        var output = new Option<string?>("--output") { HelpName = "PATH", Description = "the merged manifest (default: manifest.jsonl in the first DIR)" };
        var command = new Command("merge", Description) { folders, output };
        command.SetAction(p =>
        {
            var dirs = p.GetRequiredValue(folders);
            string path = p.GetValue(output) ?? Path.Combine(dirs[0], Manifest.FileName(ShardSpec.All));
            IReadOnlyList<ManifestRow> rows;
            try { rows = ShardMerge.Merge(dirs); }
            catch (Exception e) when (e is InvalidDataException or DirectoryNotFoundException) { throw new CliException(e.Message); }
            Manifest.Write(path, rows);
            int failed = rows.Count(r => r.Error is not null);
            p.InvocationConfiguration.Output.WriteLine($"merged {rows.Count} images ({failed} failed) into {path}");
            return ImageSetCommand.ExitCode(failed);
        });
        return command;
    }
}
