using System.Text.Json;
using System.Text.Json.Serialization;
using DecomCamNet.Batches;

namespace DecomCamNet.Evaluation.Runs;

/// <summary>
/// What a shard of an evaluation writes (<c>evaluation.shard-i-of-n.json</c>, <see cref="EvaluationResults.WriteShard"/>): the
/// run's settings, which the shards of one evaluation share, its per-image rows and its curve sums. <see cref="EvaluationMerge"/>
/// joins the rows and adds the sums, so the merged means, intervals and confidence bins are computed from every image, as an
/// unsharded run computes them.
/// </summary>
public sealed record EvaluationShard(
    string Shard, ShardBy By, int Total, string Description, string Model, string[] Methods, int Steps, int Bins, bool Road,
    IReadOnlyList<EvaluationRow> Rows, IReadOnlyDictionary<string, EvaluationCurveSums> Curves)
{
    private static readonly JsonSerializerOptions Json = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals, WriteIndented = false };

    /// <summary>The file name of <paramref name="shard"/>'s results.</summary>
    public static string FileName(ShardSpec shard) => $"evaluation.{shard.FileSuffix}.json";

    /// <summary>The settings that must be equal in every shard of one evaluation, as one line.</summary>
    public string Settings => $"{Total} images ({Description}) split by {(By == ShardBy.ContentHash ? "content hash" : "position")}, model {Model}, methods {string.Join(",", Methods)}, {Steps} steps, {Bins} bins, road {Road}";

    /// <summary>Writes the shard into <paramref name="folder"/> (atomically).</summary>
    /// <returns>The file's path.</returns>
    public string Write(string folder, ShardSpec shard)
    {
        string path = Path.Combine(folder, FileName(shard));
        AtomicFile.Write(path, temp => File.WriteAllBytes(temp, JsonSerializer.SerializeToUtf8Bytes(this, Json)));
        return path;
    }

    /// <summary>Reads a shard written by <see cref="Write"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not an evaluation shard.</exception>
    public static EvaluationShard Read(string path)
    {
        try
        {
            var shard = JsonSerializer.Deserialize<EvaluationShard>(File.ReadAllBytes(path), Json);
            if (shard?.Shard is null || shard.Rows is null || shard.Curves is null || shard.Methods is null)
                throw new InvalidDataException($"'{path}' is not an evaluation shard.");
            return shard;
        }
        catch (JsonException e) { throw new InvalidDataException($"'{path}' is not an evaluation shard: {e.Message}"); }
    }
}

/// <summary>A shard's sums of one method's deletion and insertion curves (per step) over its images, and their count.</summary>
public sealed record EvaluationCurveSums(double[] Deletion, double[] Insertion, int Count);
