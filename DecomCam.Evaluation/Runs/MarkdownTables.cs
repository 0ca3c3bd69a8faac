using System.Text;
using DecomCamNet.Batches.Reports;

namespace DecomCamNet.Evaluation.Runs;

/// <summary>
/// The Markdown that <see cref="EvaluationReport.Markdown"/> writes, as HTML: runs of lines that start with <c>|</c> are
/// tables (a header, the alignment line, the rows; <c>---:</c> columns right-aligned), other lines paragraphs. Every
/// cell and line is escaped.
/// </summary>
internal static class MarkdownTables
{
    public static string ToHtml(string markdown)
    {
        var html = new StringBuilder();
        var lines = markdown.Replace("\r\n", "\n").Split('\n');
        for (int i = 0; i < lines.Length;)
        {
            if (!lines[i].TrimStart().StartsWith('|'))
            {
                if (lines[i].Trim().Length > 0) html.Append("<p>").Append(HtmlPage.Escape(lines[i].Trim())).Append("</p>\n");
                i++;
                continue;
            }
            var table = lines.Skip(i).TakeWhile(l => l.TrimStart().StartsWith('|')).Select(Cells).ToList();
            i += table.Count;
            bool aligned = table.Count > 1 && table[1].All(c => c.Trim(':').Length > 0 && c.Trim(':').All(ch => ch == '-'));
            var numeric = aligned ? table[1].Select((c, k) => (c, k)).Where(p => p.c.EndsWith(':')).Select(p => p.k).ToHashSet() : [];
            html.Append(HtmlPage.Table(table[0], table.Skip(aligned ? 2 : 1), numeric));
        }
        return html.ToString();
    }

    private static IReadOnlyList<string> Cells(string line)
    {
        var cells = line.Trim().Split('|').Select(c => c.Trim()).ToList();
        if (cells.Count > 0 && cells[0].Length == 0) cells.RemoveAt(0);
        if (cells.Count > 0 && cells[^1].Length == 0) cells.RemoveAt(cells.Count - 1);
        return cells;
    }
}
