using System.Text;
using System.Text.Json;

namespace DecomCamNet.Batches.Reports;

/// <summary>
/// The pieces of a self-contained report page: one HTML file with its style (and at most a small script) inline, no
/// network, images by relative path. Everything that comes from data goes through <see cref="Escape"/> (text) or
/// <see cref="ScriptJson"/> (data for the script).
/// </summary>
public static class HtmlPage
{
    /// <summary>The page's file name in the folder it describes: <c>report.html</c>.</summary>
    public const string FileName = "report.html";

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    private const string Style = """
        body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;background:#fafafa}
        h1{font-size:1.4em;margin:0 0 .3em}h2{font-size:1.15em;margin:1.4em 0 .4em}
        table{border-collapse:collapse;margin:.5em 0;background:#fff;display:block;overflow-x:auto;max-width:max-content}th,td{border:1px solid #ccc;padding:.25em .6em}
        th{background:#eee;text-align:left}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
        .meta{color:#555}.controls{margin:.8em 0;display:flex;gap:1em;flex-wrap:wrap;align-items:center}
        .grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(180px,1fr));gap:.8em}
        .card{background:#fff;border:1px solid #ddd;border-radius:4px;padding:.5em;overflow-wrap:anywhere}
        .card img{width:100%;height:auto;display:block;image-rendering:pixelated;background:#eee}
        .card .name{font-weight:600}.card.failed{border-color:#c33;background:#fff5f5}.error{color:#b00}
        .files a{margin-right:.5em}figure{display:inline-block;margin:.5em;background:#fff;border:1px solid #ddd;padding:.4em}
        figure img{max-width:100%;width:640px;height:auto}figcaption{color:#555}
        """;

    /// <summary><paramref name="text"/> with the characters HTML gives a meaning to (<c>&lt; &gt; &amp; " '</c>) escaped; <c>null</c> is empty.</summary>
    public static string Escape(string? text)
    {
        if (string.IsNullOrEmpty(text) || text.AsSpan().IndexOfAny("<>&\"'") < 0) return text ?? "";
        var s = new StringBuilder(text.Length + 16);
        foreach (char c in text)
        {
            string? entity = c switch { '<' => "&lt;", '>' => "&gt;", '&' => "&amp;", '"' => "&quot;", '\'' => "&#39;", _ => null };
            if (entity is null) s.Append(c); else s.Append(entity);
        }
        return s.ToString();
    }

    /// <summary>
    /// <paramref name="value"/> as JSON (camelCase names) safe inside a <c>&lt;script&gt;</c> element: the serializer's default
    /// encoder writes <c>&lt; &gt; &amp; '</c> and non-ASCII characters as <c>\u</c> escapes, so no string can close the element.
    /// </summary>
    public static string ScriptJson<T>(T value) => JsonSerializer.Serialize(value, Json);

    /// <summary>A whole page: <paramref name="title"/> (escaped here), <paramref name="body"/> (HTML) and an optional inline <paramref name="script"/>.</summary>
    public static string Document(string title, string body, string? script = null)
    {
        ArgumentNullException.ThrowIfNull(body);
        var s = new StringBuilder();
        s.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<title>").Append(Escape(title)).Append("</title>\n<style>\n").Append(Style).Append("</style>\n</head>\n<body>\n")
            .Append(body);
        if (script is not null) s.Append("<script>\n").Append(script).Append("\n</script>\n");
        return s.Append("</body>\n</html>\n").ToString();
    }

    /// <summary>
    /// A table of <paramref name="header"/> and <paramref name="rows"/> (every cell escaped); the columns whose index is in
    /// <paramref name="numeric"/> are right-aligned.
    /// </summary>
    public static string Table(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows, IReadOnlySet<int>? numeric = null)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(rows);
        var s = new StringBuilder("<table>\n<tr>");
        foreach (var cell in header) s.Append("<th>").Append(Escape(cell)).Append("</th>");
        s.Append("</tr>\n");
        foreach (var row in rows)
        {
            s.Append("<tr>");
            for (int i = 0; i < row.Count; i++)
                s.Append(numeric?.Contains(i) == true ? "<td class=\"num\">" : "<td>").Append(Escape(row[i])).Append("</td>");
            s.Append("</tr>\n");
        }
        return s.Append("</table>\n").ToString();
    }

    /// <summary>A relative path as a URL: each segment percent-encoded (a <c>#</c> or <c>?</c> in a file name stays a name), then escaped.</summary>
    public static string RelativeUrl(string relativePath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(relativePath);
        return Escape(string.Join('/', relativePath.Replace('\\', '/').Split('/').Select(Uri.EscapeDataString)));
    }

    /// <summary>Writes <paramref name="html"/> as <see cref="FileName"/> in <paramref name="folder"/> (replaced atomically); returns its path.</summary>
    public static string Write(string folder, string html)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        ArgumentNullException.ThrowIfNull(html);
        string path = Path.Combine(folder, FileName);
        AtomicFile.Write(path, temp => File.WriteAllText(temp, html, new UTF8Encoding(false)));
        return path;
    }
}
