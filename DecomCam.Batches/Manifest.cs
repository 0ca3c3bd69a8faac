using System.Text;
using System.Text.Json;

namespace DecomCamNet.Batches;

/// <summary>
/// The JSON-lines manifest of a set run: one <see cref="ManifestRow"/> per line, appended and flushed as each image
/// finishes, so a run killed at any moment leaves every finished row and at most one truncated last line. A resumed run
/// appends new rows for each image it retries; an input's latest rows are its outcome (<see cref="Latest"/>). A detector's
/// image has one row per box (<see cref="ManifestRow.Detection"/>), appended in one write.
/// </summary>
public sealed class Manifest : IDisposable
{
    private static readonly JsonSerializerOptions Json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly FileStream _stream;

    private Manifest(FileStream stream) => _stream = stream;

    /// <summary>The manifest's file name in an output folder: <c>manifest.jsonl</c>, or <c>manifest.shard-i-of-n.jsonl</c>.</summary>
    public static string FileName(ShardSpec shard) => shard.FileSuffix is { } s ? $"manifest.{s}.jsonl" : "manifest.jsonl";

    /// <summary>
    /// Opens <paramref name="path"/> for appending (created if absent). A last line cut short by a kill is removed first,
    /// so the next row starts on a line of its own.
    /// </summary>
    public static Manifest OpenForAppend(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        try
        {
            stream.SetLength(CompleteLength(stream));
            stream.Seek(0, SeekOrigin.End);
            return new Manifest(stream);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Appends <paramref name="row"/> as one line and flushes it to the operating system.</summary>
    public void Append(ManifestRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        Append([row]);
    }

    /// <summary>Appends <paramref name="rows"/> (one image's rows), a line each, in one write, and flushes them to the operating system.</summary>
    public void Append(IReadOnlyList<ManifestRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var buffer = new MemoryStream();
        foreach (var row in rows)
        {
            ArgumentNullException.ThrowIfNull(row, nameof(rows));
            buffer.Write(JsonSerializer.SerializeToUtf8Bytes(row, Json));
            buffer.WriteByte((byte)'\n');
        }
        _stream.Write(buffer.GetBuffer(), 0, (int)buffer.Length);
        _stream.Flush();
    }

    /// <summary>
    /// The rows of the manifest at <paramref name="path"/> (none when it does not exist). A truncated last line (no
    /// newline after it) is ignored; any other malformed line is an error.
    /// </summary>
    /// <exception cref="InvalidDataException">A complete line is not a manifest row; the message names the file and line.</exception>
    public static IReadOnlyList<ManifestRow> Read(string path)
    {
        if (!File.Exists(path)) return [];
        var text = File.ReadAllText(path, Encoding.UTF8);
        int end = text.LastIndexOf('\n') + 1; // everything after the last newline is a row cut short
        var rows = new List<ManifestRow>();
        int number = 0;
        foreach (var line in text[..end].Split('\n'))
        {
            number++;
            if (line.Trim().Length == 0) continue;
            ManifestRow? row;
            try { row = JsonSerializer.Deserialize<ManifestRow>(line, Json); }
            catch (JsonException e) { throw new InvalidDataException($"{path}:{number} is not a manifest row: {e.Message}"); }
            if (row?.Input is null) throw new InvalidDataException($"{path}:{number} is not a manifest row (no \"input\").");
            rows.Add(row);
        }
        return rows;
    }

    /// <summary>
    /// The rows of each input's latest attempt: a resumed run appends new rows for each image it retries (those whose rows
    /// carry an error or are incomplete), so an input's last attempt is its outcome. An attempt is one row, or a detector's
    /// rows of one image (a row with <see cref="ManifestRow.Detection"/> 0 and those after it:
    /// <see cref="ManifestRow.StartsAttempt"/>). Inputs keep the order of their first rows.
    /// </summary>
    public static IReadOnlyList<ManifestRow> Latest(IEnumerable<ManifestRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var latest = new Dictionary<string, int>(StringComparer.Ordinal);
        var attempts = new List<List<ManifestRow>>();
        foreach (var row in rows)
        {
            if (!latest.TryGetValue(row.Input, out int at))
            {
                latest[row.Input] = attempts.Count;
                attempts.Add([row]);
            }
            else if (row.StartsAttempt) attempts[at] = [row];
            else attempts[at].Add(row);
        }
        return attempts.SelectMany(a => a).ToList();
    }

    /// <summary>
    /// The inputs whose latest attempt (<see cref="Latest"/>) succeeded and is whole: no row carries an error, and a
    /// detector's image has its rows 0..n-1 for its n boxes (a run killed while appending them leaves it to be retried).
    /// </summary>
    public static IReadOnlySet<string> Explained(IEnumerable<ManifestRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        return Latest(rows).GroupBy(r => r.Input, StringComparer.Ordinal)
            .Where(g => g.All(r => r.Error is null) && IsWhole(g.ToList()))
            .Select(g => g.Key).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>Whether an attempt holds every row it announces: one row, or a detector's rows 0..n-1 of n boxes.</summary>
    private static bool IsWhole(List<ManifestRow> attempt) => attempt[0].Detections switch
    {
        null or 0 => attempt.Count == 1,
        int n => attempt.Count == n && attempt.Select((r, i) => r.Detection == i && r.Detections == n).All(ok => ok),
    };

    /// <summary>Writes <paramref name="rows"/> as a new manifest at <paramref name="path"/> (replaced atomically).</summary>
    public static void Write(string path, IEnumerable<ManifestRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        AtomicFile.Write(path, temp =>
        {
            using var manifest = OpenForAppend(temp);
            foreach (var row in rows) manifest.Append(row);
        });
    }

    /// <inheritdoc />
    public void Dispose() => _stream.Dispose();

    private static long CompleteLength(FileStream stream)
    {
        var buffer = new byte[4096];
        for (long end = stream.Length; end > 0;)
        {
            int n = (int)Math.Min(buffer.Length, end);
            stream.Seek(end - n, SeekOrigin.Begin);
            stream.ReadExactly(buffer, 0, n);
            int newline = Array.LastIndexOf(buffer, (byte)'\n', n - 1);
            if (newline >= 0) return end - n + newline + 1;
            end -= n;
        }
        return 0;
    }
}
