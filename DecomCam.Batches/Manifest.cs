using System.Text;
using System.Text.Json;

namespace DecomCamNet.Batches;

/// <summary>
/// The JSON-lines manifest of a set run: one <see cref="ManifestRow"/> per line, appended and flushed as each image
/// finishes, so a run killed at any moment leaves every finished row and at most one truncated last line. A resumed run
/// appends a new row for each image it retries; an input's latest row is its outcome (<see cref="Latest"/>).
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
        var line = JsonSerializer.SerializeToUtf8Bytes(row, Json);
        _stream.Write(line);
        _stream.WriteByte((byte)'\n');
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
    /// The latest row of each input: a resumed run appends a new row for each image it retries (those whose row carries
    /// an error), so an input's last row is its outcome. Inputs keep the order of their first rows.
    /// </summary>
    public static IReadOnlyList<ManifestRow> Latest(IEnumerable<ManifestRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var latest = new Dictionary<string, int>(StringComparer.Ordinal);
        var result = new List<ManifestRow>();
        foreach (var row in rows)
        {
            if (latest.TryGetValue(row.Input, out int at)) result[at] = row;
            else
            {
                latest[row.Input] = result.Count;
                result.Add(row);
            }
        }
        return result;
    }

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
