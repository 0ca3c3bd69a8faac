namespace DecomCamNet.Batches;

/// <summary>
/// The plan stage of <see cref="ImageSetRun"/>: this shard's share of the set, checked against a run being resumed and
/// recorded in its <see cref="ShardPlan"/>, and what of it is left to do.
/// </summary>
/// <param name="ManifestPath">The shard's manifest (<see cref="Manifest.FileName"/> in the output folder).</param>
/// <param name="Todo">The inputs to explain: the shard's inputs whose latest manifest row is not a success.</param>
/// <param name="Skipped">The shard's inputs already explained (resume).</param>
internal sealed record ImageSetPlan(string ManifestPath, IReadOnlyList<string> Todo, int Skipped)
{
    /// <summary>
    /// Plans <paramref name="shard"/>'s share of <paramref name="sortedInputs"/> in <paramref name="outDir"/> (created if
    /// needed): refuses an existing manifest without <paramref name="resume"/>, and a resume whose plan recorded other
    /// <paramref name="settings"/>; writes the shard's plan; leaves out the inputs the manifest already has as successes.
    /// </summary>
    /// <param name="outDir">The run's output folder.</param>
    /// <param name="sortedInputs">The whole set, sorted.</param>
    /// <param name="shard">Which share of the set is this run's.</param>
    /// <param name="resume">Whether an existing manifest is appended to.</param>
    /// <param name="settings">The run's settings, recorded in its plan and compared with a resumed run's.</param>
    /// <param name="hashThreads">Threads that read and hash the inputs when the shard is chosen by content hash.</param>
    /// <exception cref="IOException">The manifest exists and <paramref name="resume"/> is false.</exception>
    /// <exception cref="RunSettingsMismatchException">Resuming, and the plan beside the manifest recorded other settings.</exception>
    public static ImageSetPlan Make(string outDir, IReadOnlyList<string> sortedInputs, ShardSpec shard, bool resume,
        IReadOnlyDictionary<string, string> settings, int hashThreads)
    {
        Directory.CreateDirectory(outDir);
        string manifestPath = Path.Combine(outDir, Manifest.FileName(shard));
        if (!resume && File.Exists(manifestPath))
            throw new IOException($"'{manifestPath}' exists: resume that run (resume: true), or choose another output folder.");
        string planPath = Path.Combine(outDir, ShardPlan.FileName(shard));
        if (resume && File.Exists(manifestPath) && File.Exists(planPath) && ShardPlan.Read(planPath).Settings is { } recorded)
        {
            var differences = RunSettings.Differences(recorded, settings, "recorded", "now");
            if (differences.Count > 0) throw new RunSettingsMismatchException(manifestPath, differences);
        }
        var assigned = Share(sortedInputs, shard, hashThreads);
        ShardPlan.Write(outDir, shard, sortedInputs.Count, assigned, settings);
        var done = Manifest.Explained(Manifest.Read(manifestPath));
        var todo = assigned.Where(p => !done.Contains(p)).ToList();
        return new ImageSetPlan(manifestPath, todo, assigned.Count - todo.Count);
    }

    /// <summary>The shard's inputs; by content hash, every input is read and hashed first (on <paramref name="hashThreads"/> threads).</summary>
    private static IReadOnlyList<string> Share(IReadOnlyList<string> sortedInputs, ShardSpec shard, int hashThreads)
    {
        if (shard.By != ShardBy.ContentHash) return shard.Select(sortedInputs);
        var hashes = new string[sortedInputs.Count];
        Parallel.For(0, hashes.Length, new ParallelOptions { MaxDegreeOfParallelism = hashThreads },
            i => hashes[i] = ContentHash.ForSharding(sortedInputs[i]));
        return shard.Select(Enumerable.Range(0, hashes.Length).ToList(), i => hashes[i]).Select(i => sortedInputs[i]).ToList();
    }
}
