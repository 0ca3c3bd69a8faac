using System.Collections;
using System.Globalization;

namespace DecomCamNet.Batches;

/// <summary>
/// Shard <see cref="Index"/> of <see cref="Count"/>: the inputs at positions <c>k</c> of the sorted input list with
/// <c>k % Count == Index</c>, or (<see cref="By"/> <see cref="ShardBy.ContentHash"/>) those whose content hash is
/// <see cref="Index"/> modulo <see cref="Count"/>. Every machine that lists the same inputs takes the same share, so shards
/// are disjoint and together complete without a coordinator.
/// </summary>
/// <param name="Index">Zero-based shard index, less than <paramref name="Count"/>.</param>
/// <param name="Count">Number of shards, at least 1.</param>
public readonly record struct ShardSpec(int Index, int Count)
{
    /// <summary>The whole set as one shard.</summary>
    public static ShardSpec All => new(0, 1);

    /// <summary>How the set is split: by position in the sorted list (the default) or by content hash.</summary>
    public ShardBy By { get; init; }

    /// <summary>The scheduler variables that <see cref="Parse"/> reads for <c>auto</c>, in order of precedence.</summary>
    public static IReadOnlyList<string> IndexVariables { get; } = ["JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID"];

    /// <summary>
    /// Parses <c>i/n</c>, <c>auto/n</c> or <c>auto</c>. <c>auto</c> takes the index from a Kubernetes Indexed Job
    /// (<c>JOB_COMPLETION_INDEX</c>) or a Slurm job array (<c>SLURM_ARRAY_TASK_ID</c>, less <c>SLURM_ARRAY_TASK_MIN</c>
    /// when arrays start at 1), and a bare <c>auto</c> the count from <c>SLURM_ARRAY_TASK_COUNT</c>.
    /// </summary>
    /// <param name="text">The specification.</param>
    /// <param name="environment">Environment variables; <c>null</c> means the process's.</param>
    /// <exception cref="FormatException">The text or the variables it needs are malformed or missing; the message says which.</exception>
    public static ShardSpec Parse(string text, IDictionary? environment = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        environment ??= Environment.GetEnvironmentVariables();
        var parts = text.Split('/');
        if (parts.Length > 2 || (parts.Length == 1 && parts[0] != "auto"))
            throw new FormatException($"A shard is i/n (0 <= i < n), auto/n or auto; got '{text}'.");
        int count = parts.Length == 2 ? Number(parts[1], $"the shard count in '{text}'") : SlurmCount(environment);
        if (count < 1) throw new FormatException($"The shard count must be at least 1; got '{text}'.");
        int index = parts[0] == "auto" ? SchedulerIndex(environment) : Number(parts[0], $"the shard index in '{text}'");
        if (index < 0 || index >= count)
            throw new FormatException($"Shard index {index} is out of range for {count} shards (0..{count - 1}).");
        return new ShardSpec(index, count);
    }

    /// <summary>
    /// This shard's share of <paramref name="sortedInputs"/> (already in the order every machine agrees on), in that order.
    /// </summary>
    /// <param name="sortedInputs">The whole set.</param>
    /// <param name="sha256">For <see cref="ShardBy.ContentHash"/>: an input's SHA-256, hex (at least 16 digits).</param>
    /// <exception cref="ArgumentException">Sharding by content hash without <paramref name="sha256"/>, or a hash that is not hex.</exception>
    public IReadOnlyList<T> Select<T>(IReadOnlyList<T> sortedInputs, Func<T, string>? sha256 = null)
    {
        ArgumentNullException.ThrowIfNull(sortedInputs);
        if (By == ShardBy.ContentHash)
        {
            if (sha256 is null) throw new ArgumentException("Sharding by content hash needs each input's SHA-256.", nameof(sha256));
            int index = Index, count = Count;
            return sortedInputs.Where(input => HashShard(sha256(input), count) == index).ToList();
        }
        var share = new List<T>(sortedInputs.Count / Count + 1);
        for (int k = Index; k < sortedInputs.Count; k += Count) share.Add(sortedInputs[k]);
        return share;
    }

    /// <summary>The shard of <paramref name="count"/> that owns content of SHA-256 <paramref name="sha256"/> (hex): its first 8 bytes, big-endian, modulo the count.</summary>
    /// <exception cref="ArgumentException">The hash has fewer than 16 hex digits.</exception>
    public static int HashShard(string sha256, int count)
    {
        ArgumentNullException.ThrowIfNull(sha256);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        if (sha256.Length < 16 || !ulong.TryParse(sha256.AsSpan(0, 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong head))
            throw new ArgumentException($"'{sha256}' is not a SHA-256 in hex.", nameof(sha256));
        return (int)(head % (ulong)count);
    }

    /// <summary><c>i/n</c>.</summary>
    public override string ToString() => $"{Index}/{Count}";

    /// <summary>The suffix of this shard's files (<c>shard-2-of-4</c>), or <c>null</c> for the whole set.</summary>
    public string? FileSuffix => Count == 1 ? null : $"shard-{Index}-of-{Count}";

    private static int SchedulerIndex(IDictionary environment)
    {
        if (Variable(environment, "JOB_COMPLETION_INDEX") is { } k8s) return Number(k8s, "JOB_COMPLETION_INDEX");
        if (Variable(environment, "SLURM_ARRAY_TASK_ID") is { } slurm)
        {
            int min = Variable(environment, "SLURM_ARRAY_TASK_MIN") is { } m ? Number(m, "SLURM_ARRAY_TASK_MIN") : 0;
            return Number(slurm, "SLURM_ARRAY_TASK_ID") - min;
        }
        throw new FormatException("An 'auto' shard index needs JOB_COMPLETION_INDEX (Kubernetes Indexed Job) or SLURM_ARRAY_TASK_ID (Slurm job array); neither is set.");
    }

    private static int SlurmCount(IDictionary environment) =>
        Variable(environment, "SLURM_ARRAY_TASK_COUNT") is { } count ? Number(count, "SLURM_ARRAY_TASK_COUNT")
            : throw new FormatException("A bare 'auto' shard takes its count from SLURM_ARRAY_TASK_COUNT, which is not set; give auto/n.");

    private static string? Variable(IDictionary environment, string name) =>
        environment[name] is string value && value.Trim().Length > 0 ? value.Trim() : null;

    private static int Number(string text, string what) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) ? value
            : throw new FormatException($"Expected a non-negative integer for {what}; got '{text}'.");
}
