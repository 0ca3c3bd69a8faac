using System.Text.Json;
using System.Text.Json.Serialization;

namespace DecomCamNet.Batches;

/// <summary>
/// What one shard was given: its specification, the size of the whole set and its share of the inputs. Each run writes
/// its plan (<c>plan.json</c>, <c>plan.shard-i-of-n.json</c>) beside its manifest, so that <see cref="ShardMerge"/> can
/// check that every input of the set appears exactly once without listing the inputs again.
/// </summary>
/// <param name="Shard">The shard, <c>i/n</c>.</param>
/// <param name="Total">Images in the whole set.</param>
/// <param name="Inputs">This shard's inputs.</param>
/// <param name="By">How the set was split: <c>position</c> (also when a plan names none) or <c>hash</c> (<see cref="ShardBy"/>).</param>
/// <param name="Settings">The run's settings (<see cref="RunSettings"/>), compared on resume and merge; <c>null</c> in plans
/// written before they were recorded.</param>
public sealed record ShardPlan(
    [property: JsonPropertyName("shard")] string Shard,
    [property: JsonPropertyName("total")] int Total,
    [property: JsonPropertyName("inputs")] IReadOnlyList<string> Inputs,
    [property: JsonPropertyName("by")] string By = ShardPlan.ByPosition,
    [property: JsonPropertyName("settings")] IReadOnlyDictionary<string, string>? Settings = null)
{
    /// <summary><see cref="By"/> of <see cref="ShardBy.Position"/>.</summary>
    public const string ByPosition = "position";

    /// <summary><see cref="By"/> of <see cref="ShardBy.ContentHash"/>.</summary>
    public const string ByHash = "hash";

    /// <summary>The file names of the plans of shards (<see cref="FileName"/> of a shard <c>i/n</c> with n &gt; 1), as a search pattern.</summary>
    public const string ShardFilePattern = "plan.shard-*.json";

    /// <summary>The plan's file name for <paramref name="shard"/>.</summary>
    public static string FileName(ShardSpec shard) => shard.FileSuffix is { } s ? $"plan.{s}.json" : "plan.json";

    /// <summary>Writes the plan of <paramref name="shard"/>, with the run's <paramref name="settings"/>, into <paramref name="folder"/> (atomically).</summary>
    public static void Write(string folder, ShardSpec shard, int total, IReadOnlyList<string> inputs, IReadOnlyDictionary<string, string>? settings = null) =>
        AtomicFile.Write(Path.Combine(folder, FileName(shard)),
            temp => File.WriteAllBytes(temp, JsonSerializer.SerializeToUtf8Bytes(
                new ShardPlan(shard.ToString(), total, inputs, shard.By == ShardBy.ContentHash ? ByHash : ByPosition, settings))));

    /// <summary>Reads a plan written by <see cref="Write"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not a plan.</exception>
    public static ShardPlan Read(string path)
    {
        try
        {
            var plan = JsonSerializer.Deserialize<ShardPlan>(File.ReadAllBytes(path));
            if (plan?.Shard is null || plan.Inputs is null) throw new InvalidDataException($"'{path}' is not a shard plan.");
            return plan;
        }
        catch (JsonException e) { throw new InvalidDataException($"'{path}' is not a shard plan: {e.Message}"); }
    }
}
