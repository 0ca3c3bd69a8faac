using DecomCamNet.Batches;

namespace DecomCamNet.Evaluation.Runs;

/// <summary>
/// Joins the <see cref="EvaluationShard"/>s of one evaluation (<c>evaluation.shard-*.json</c> in one or more folders) after
/// checking that shards <c>0..n-1</c> are each there once, that they share their settings, and that every image has exactly
/// one row per method; the merged results are those of one unsharded run.
/// </summary>
public static class EvaluationMerge
{
    /// <summary>The shards' settings (from shard 0), every row in the order an unsharded run reports them, and the summed curves.</summary>
    /// <exception cref="EvaluationInputException">A folder holds no shards or does not exist, a shard cannot be read or appears
    /// twice or is missing, the settings differ, or an image is missing or duplicated.</exception>
    public static EvaluationResults Merge(IReadOnlyList<string> folders)
    {
        foreach (var dir in folders)
            if (!Directory.Exists(dir)) throw new EvaluationInputException($"Folder '{dir}' does not exist.");
        var files = folders.SelectMany(d => Directory.EnumerateFiles(d, "evaluation.shard-*.json")).Select(Path.GetFullPath).Distinct().ToList();
        if (files.Count == 0) throw new EvaluationInputException($"No evaluation shards (evaluation.shard-*.json) in {string.Join(", ", folders)}.");
        List<(string File, EvaluationShard Shard, ShardSpec Spec)> shards;
        try { shards = files.Select(f => (f, EvaluationShard.Read(f))).Select(p => (p.f, p.Item2, ShardSpec.Parse(p.Item2.Shard, new Dictionary<string, string>()))).ToList(); }
        catch (Exception e) when (e is InvalidDataException or FormatException) { throw new EvaluationInputException(e.Message, e); }
        CheckShards(shards);
        var first = shards.First(s => s.Spec.Index == 0).Shard;
        var rows = shards.SelectMany(s => s.Shard.Rows).ToList();
        CheckImages(rows, first);
        var curves = new EvaluationCurves(first.Methods, first.Steps);
        foreach (var (_, shard, _) in shards.OrderBy(s => s.Spec.Index))
            foreach (var (method, sums) in shard.Curves)
                curves.Add(method, sums);
        return new EvaluationResults(ShardSpec.All, first.Total, first.Description, first.Model, first.Methods, first.Steps, first.Bins, first.Road, rows, curves);
    }

    private static void CheckShards(List<(string File, EvaluationShard Shard, ShardSpec Spec)> shards)
    {
        int count = shards[0].Spec.Count;
        if (shards.Any(s => s.Spec.Count != count))
            throw new EvaluationInputException($"The shards are of different splits: {string.Join(", ", shards.Select(s => s.Spec).Distinct())}.");
        foreach (var twice in shards.GroupBy(s => s.Spec.Index).Where(g => g.Count() > 1))
            throw new EvaluationInputException($"Shard {twice.Key}/{count} appears more than once: {string.Join(", ", twice.Select(s => s.File))}.");
        var absent = Enumerable.Range(0, count).Except(shards.Select(s => s.Spec.Index)).ToList();
        if (absent.Count > 0)
            throw new EvaluationInputException($"Shard{(absent.Count > 1 ? "s" : "")} {string.Join(", ", absent.Select(i => $"{i}/{count}"))} of {count} {(absent.Count > 1 ? "are" : "is")} missing (evaluation.shard-i-of-{count}.json).");
        var settings = shards.Select(s => s.Shard.Settings).Distinct().ToList();
        if (settings.Count > 1) throw new EvaluationInputException($"The shards evaluated different things: {string.Join(" vs ", settings)}.");
    }

    private static void CheckImages(List<EvaluationRow> rows, EvaluationShard settings)
    {
        foreach (var method in settings.Methods)
        {
            var images = rows.Where(r => r.Method == method).Select(r => r.Image).ToList();
            var duplicated = images.GroupBy(i => i).Where(g => g.Count() > 1).Select(g => g.Key).Order().ToList();
            if (duplicated.Count > 0) throw new EvaluationInputException($"{method}: image{Plural(duplicated)} {Listed(duplicated)} appear{(duplicated.Count > 1 ? "" : "s")} in more than one shard.");
            var missing = Enumerable.Range(0, settings.Total).Except(images).ToList();
            if (missing.Count > 0) throw new EvaluationInputException($"{method}: image{Plural(missing)} {Listed(missing)} of {settings.Total} {(missing.Count > 1 ? "are" : "is")} in no shard.");
            if (images.Count != settings.Total) throw new EvaluationInputException($"{method}: {images.Count} rows for a set of {settings.Total} images.");
        }
        if (rows.FirstOrDefault(r => !settings.Methods.Contains(r.Method)) is { } stray)
            throw new EvaluationInputException($"A shard holds rows of method '{stray.Method}', which the evaluation did not run.");
    }

    private static string Plural(List<int> items) => items.Count > 1 ? "s" : "";

    private static string Listed(List<int> items) => string.Join(", ", items.Take(5)) + (items.Count > 5 ? ", ..." : "");
}
