namespace DecomCamNet.Batches;

/// <summary>
/// Combines the manifests of a sharded run (one or more output folders, each with <c>plan.shard-i-of-n.json</c> files and
/// the <c>manifest.shard-i-of-n.jsonl</c> beside each) into one list of rows, after checking that the plans cover every shard <c>0..n-1</c> of one
/// set with the same settings (<see cref="RunSettings"/>), and that every planned input appears exactly once in the
/// manifests (an input's latest row within its shard's manifest: <see cref="Manifest.Latest"/>).
/// </summary>
public static class ShardMerge
{
    /// <summary>The merged rows, in the sorted order of their inputs (a detector's rows of one image in their order).</summary>
    /// <param name="folders">Output folders of the shards (a folder may hold several shards).</param>
    /// <exception cref="InvalidDataException">A shard is missing, the shards disagree, or an input is missing, duplicated or unplanned; the message names them.</exception>
    public static IReadOnlyList<ManifestRow> Merge(IEnumerable<string> folders)
    {
        ArgumentNullException.ThrowIfNull(folders);
        var dirs = folders.ToList();
        foreach (var dir in dirs)
            if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"Output folder '{dir}' does not exist.");
        var planFiles = dirs.SelectMany(d => Directory.EnumerateFiles(d, ShardPlan.ShardFilePattern)).Select(Path.GetFullPath).Distinct().ToList();
        if (planFiles.Count == 0)
            throw new InvalidDataException($"No shard plans ({ShardPlan.ShardFilePattern}) in {string.Join(", ", dirs)}: these are not the output folders of a sharded image-set run.");
        var plans = planFiles.Select(ShardPlan.Read).ToList();
        CheckShards(plans);

        var planned = new HashSet<string>(StringComparer.Ordinal);
        foreach (var input in plans.SelectMany(p => p.Inputs))
            if (!planned.Add(input)) throw new InvalidDataException($"'{input}' is planned by two shards: were they listed from different inputs?");
        if (planned.Count != plans[0].Total)
            throw new InvalidDataException($"The plans hold {planned.Count} inputs but the set has {plans[0].Total}.");

        // Each shard's manifest lies beside its plan: plan.shard-i-of-n.json, manifest.shard-i-of-n.jsonl.
        // A resumed shard appends a row for each image it retried: its latest row is its outcome.
        // A detector's image has one row per box: an input is duplicated when two manifests hold it.
        var manifests = planFiles.Select(f => Path.Combine(Path.GetDirectoryName(f)!, "manifest" + Path.GetFileNameWithoutExtension(f)["plan".Length..] + ".jsonl"))
            .Select(m => Manifest.Latest(Manifest.Read(m))).ToList();
        var rows = manifests.SelectMany(m => m).ToList();
        var duplicated = manifests.SelectMany(m => m.Select(r => r.Input).Distinct(StringComparer.Ordinal))
            .GroupBy(i => i, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        if (duplicated.Count > 0) throw new InvalidDataException($"{Described(duplicated)} {Verb(duplicated, "appear", "appears")} more than once in the manifests.");
        var unplanned = rows.Select(r => r.Input).Where(i => !planned.Contains(i)).ToList();
        if (unplanned.Count > 0) throw new InvalidDataException($"{Described(unplanned)} {Verb(unplanned, "are", "is")} in a manifest but in no plan.");
        // An attempt cut short (some of a detector's rows) counts as missing, as it does on resume.
        var seen = Manifest.Explained(rows).Concat(rows.Where(r => r.Error is not null).Select(r => r.Input)).ToHashSet(StringComparer.Ordinal);
        var missing = planned.Where(i => !seen.Contains(i)).Order(StringComparer.Ordinal).ToList();
        if (missing.Count > 0) throw new InvalidDataException($"{Described(missing)} {Verb(missing, "are", "is")} missing from the manifests (resume their shards' runs to explain them).");
        return rows.OrderBy(r => r.Input, StringComparer.Ordinal).ToList();
    }

    private static void CheckShards(List<ShardPlan> plans)
    {
        var specs = plans.Select(p => ShardSpec.Parse(p.Shard, new Dictionary<string, string>())).ToList();
        int count = specs[0].Count;
        if (specs.Any(s => s.Count != count) || plans.Any(p => p.Total != plans[0].Total))
            throw new InvalidDataException($"The plans are of different runs: shards {string.Join(", ", specs)} of sets of {string.Join(", ", plans.Select(p => p.Total).Distinct())} images.");
        if (plans.Any(p => p.By != plans[0].By))
            throw new InvalidDataException($"The plans split the set in different ways ({string.Join(" and ", plans.Select(p => p.By).Distinct())}): every shard of a run must split it the same way.");
        var recorded = plans.Select((p, i) => (p.Settings, Shard: specs[i])).Where(p => p.Settings is not null).OrderBy(p => p.Shard.Index).ToList();
        foreach (var (settings, shard) in recorded.Skip(1))
        {
            var differences = RunSettings.Differences(recorded[0].Settings!, settings!, $"shard {recorded[0].Shard}", $"shard {shard}");
            if (differences.Count > 0)
                throw new InvalidDataException($"The shards were run with different settings: {string.Join("; ", differences)}.");
        }
        var indices = specs.Select(s => s.Index).ToHashSet();
        var absent = Enumerable.Range(0, count).Where(i => !indices.Contains(i)).ToList();
        if (absent.Count > 0) throw new InvalidDataException($"Shard{(absent.Count > 1 ? "s" : "")} {string.Join(", ", absent.Select(i => $"{i}/{count}"))} of {count} {(absent.Count > 1 ? "have" : "has")} no plan in these folders.");
        if (specs.Count != indices.Count) throw new InvalidDataException("A shard's plan appears twice in these folders.");
    }

    private static string Described(List<string> inputs) =>
        $"{inputs.Count} input{(inputs.Count > 1 ? "s" : "")} ('{string.Join("', '", inputs.Take(3))}'{(inputs.Count > 3 ? ", ..." : "")})";

    private static string Verb(List<string> inputs, string plural, string singular) => inputs.Count > 1 ? plural : singular;
}
