using System.Globalization;
using System.Text;

namespace DecomCamNet.Batches.Reports;

/// <summary>
/// The report page of an image-set output folder: every image's overlay, class, score and error, and its other images
/// (component grids) where written, in a gallery the page's small script sorts by score, filters by class and by failure,
/// and shows a page at a time. The rows travel as inline JSON and only a page of them becomes elements, so a set of
/// thousands of images opens at once; images load lazily from the PNGs beside the page.
/// </summary>
public static class ImageSetReport
{
    /// <summary>Images a page of the gallery shows unless told otherwise.</summary>
    public const int DefaultPageSize = 100;

    /// <summary>Whether <paramref name="folder"/> holds a manifest of an image-set run (merged, whole or a shard's).</summary>
    public static bool IsImageSetFolder(string folder) =>
        Directory.Exists(folder) && Directory.EnumerateFiles(folder, "manifest*.jsonl").Any();

    /// <summary>
    /// The outcome of each image of the set in <paramref name="folder"/>: the latest row of each input in
    /// <c>manifest.jsonl</c> (a whole or merged run), or else in the shards' manifests together.
    /// </summary>
    /// <exception cref="InvalidDataException">A manifest line is not a row.</exception>
    public static IReadOnlyList<ManifestRow> Rows(string folder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        string whole = Path.Combine(folder, Manifest.FileName(ShardSpec.All));
        var files = File.Exists(whole) ? [whole]
            : Directory.EnumerateFiles(folder, "manifest.shard-*.jsonl").Order(StringComparer.Ordinal).ToArray();
        return Manifest.Latest(files.SelectMany(Manifest.Read));
    }

    /// <summary>Writes the page of the set in <paramref name="folder"/> as <see cref="HtmlPage.FileName"/> there; returns its path.</summary>
    /// <exception cref="FileNotFoundException"><paramref name="folder"/> holds no manifest.</exception>
    public static string Write(string folder, int pageSize = DefaultPageSize)
    {
        if (!IsImageSetFolder(folder))
            throw new FileNotFoundException($"{folder} holds no image-set manifest (manifest*.jsonl).");
        return HtmlPage.Write(folder, Build(Rows(folder), Path.GetFileName(Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar)), pageSize));
    }

    /// <summary>The page of <paramref name="rows"/> (outputs relative to the page's folder), titled after <paramref name="name"/>.</summary>
    public static string Build(IReadOnlyList<ManifestRow> rows, string name, int pageSize = DefaultPageSize)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        int failed = rows.Count(r => r.Error is not null);
        int images = rows.Select(r => r.Input).Distinct(StringComparer.Ordinal).Count(); // a detector's image has a row per box
        int empty = rows.Count(r => r.Detections == 0);
        string perBox = images == rows.Count && empty == 0 ? "" : Inv($" {rows.Count} rows, one per box; {empty} image{(empty == 1 ? "" : "s")} without detections.");
        var body = new StringBuilder();
        body.Append("<h1>").Append(HtmlPage.Escape($"Image set {name}")).Append("</h1>\n")
            .Append("<p class=\"meta\">").Append(HtmlPage.Escape(Inv($"{images} images: {images - failed} explained, {failed} failed.{perBox}"))).Append("</p>\n")
            .Append(HtmlPage.Table(["setting", "value"], Settings(rows)))
            .Append("<div class=\"controls\">\n")
            .Append(Select("sort", "Sort", [("input", "input order"), ("score-desc", "score, high first"), ("score-asc", "score, low first"), ("name", "file name")]))
            .Append(Select("cls", "Class", [("all", Inv($"all ({rows.Count})")), .. Classes(rows)]))
            .Append(Select("status", "Outcome", [("all", "all"), ("failed", Inv($"failed ({failed})")), ("explained", Inv($"explained ({rows.Count - failed})"))]))
            .Append("<button id=\"prev\">&larr; previous</button><span id=\"shown\"></span><button id=\"next\">next &rarr;</button>\n</div>\n")
            .Append(Inv($"<div id=\"gallery\" class=\"grid\" data-page-size=\"{pageSize}\"></div>\n"))
            .Append("<noscript>The gallery needs JavaScript; manifest.jsonl lists the same rows.</noscript>\n")
            .Append("<script type=\"application/json\" id=\"rows\">").Append(HtmlPage.ScriptJson(rows.Select(ReportImage.Of))).Append("</script>\n");
        return HtmlPage.Document($"decomcam report: {name}", body.ToString(), GalleryScript);
    }

    /// <summary>The model, method, layer and target of the rows: one value each, or every value where rows differ.</summary>
    private static IEnumerable<IReadOnlyList<string>> Settings(IReadOnlyList<ManifestRow> rows)
    {
        string Values(Func<ManifestRow, string?> value) => string.Join(", ", rows.Select(r => value(r) ?? "each image's top class").Distinct());
        yield return ["model", Values(r => r.Model)];
        yield return ["method", Values(r => r.Method)];
        yield return ["layer", Values(r => r.Layer)];
        yield return ["target", Values(r => r.Target)];
    }

    /// <summary>The filter's classes, in order, with their counts; <c>none</c> for rows without one (failures, sums of classes).</summary>
    private static IEnumerable<(string Value, string Label)> Classes(IReadOnlyList<ManifestRow> rows)
    {
        foreach (var group in rows.Where(r => r.Class is not null).GroupBy(r => r.Class!.Value).OrderBy(g => g.Key))
            yield return (group.Key.ToString(CultureInfo.InvariantCulture), Inv($"{group.Key} ({group.Count()})"));
        int none = rows.Count(r => r.Class is null);
        if (none > 0) yield return ("none", Inv($"none ({none})"));
    }

    private static string Select(string id, string label, IEnumerable<(string Value, string Label)> options)
    {
        var s = new StringBuilder($"<label>{label} <select id=\"{id}\">");
        foreach (var (value, text) in options)
            s.Append("<option value=\"").Append(HtmlPage.Escape(value)).Append("\">").Append(HtmlPage.Escape(text)).Append("</option>");
        return s.Append("</select></label>\n").ToString();
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Renders one page of the rows as cards (text through <c>textContent</c>, never parsed as HTML); the state (sort,
    /// class, outcome, page) lives in the address's fragment, so a page can be linked to.
    /// </summary>
    private const string GalleryScript = """
        (function () {
          const rows = JSON.parse(document.getElementById('rows').textContent);
          const $ = id => document.getElementById(id);
          const pageSize = parseInt($('gallery').dataset.pageSize, 10);
          const state = { sort: 'input', cls: 'all', status: 'all', page: '1' };
          for (const [k, v] of new URLSearchParams(location.hash.slice(1))) if (k in state) state[k] = v;
          for (const k of ['sort', 'cls', 'status']) {
            const select = $(k);
            select.value = state[k];
            state[k] = select.value || select.options[0].value;
            select.onchange = () => { state[k] = select.value; state.page = '1'; render(); };
          }
          $('prev').onclick = () => { state.page = String(+state.page - 1); render(); };
          $('next').onclick = () => { state.page = String(+state.page + 1); render(); };
          const url = p => p.split('/').map(encodeURIComponent).join('/');
          const el = (tag, cls, text) => { const e = document.createElement(tag); if (cls) e.className = cls; if (text != null) e.textContent = text; return e; };
          const classOf = r => r.class == null ? 'none' : String(r.class);
          const scoreOrder = sign => (a, b) => (a.score == null) - (b.score == null) || sign * ((a.score ?? 0) - (b.score ?? 0));
          function selected() {
            const list = rows.filter(r => (state.status === 'all' || (state.status === 'failed') === (r.error != null))
              && (state.cls === 'all' || classOf(r) === state.cls));
            if (state.sort === 'score-desc') list.sort(scoreOrder(-1));
            else if (state.sort === 'score-asc') list.sort(scoreOrder(1));
            else if (state.sort === 'name') list.sort((a, b) => a.name.localeCompare(b.name));
            return list;
          }
          function image(path, alt) {
            const a = el('a'); a.href = url(path);
            const img = el('img'); img.src = url(path); img.alt = alt; img.loading = 'lazy'; img.decoding = 'async';
            a.append(img);
            return a;
          }
          function card(r) {
            const c = el('div', r.error != null ? 'card failed' : 'card');
            if (r.overlay) c.append(image(r.overlay, r.name));
            const name = el('div', 'name', r.name); name.title = r.input; c.append(name);
            if (r.error != null) c.append(el('div', 'error', r.error));
            else c.append(el('div', 'meta', (r.box != null ? 'box ' + r.box : r.class == null ? r.target : 'class ' + r.class) + (r.score == null ? '' : ' · score ' + r.score.toFixed(4))));
            for (const p of r.images) c.append(image(p, p));
            if (r.files.length) { const f = el('div', 'files'); for (const p of r.files) { const a = el('a', null, p.split('/').pop()); a.href = url(p); f.append(a); } c.append(f); }
            return c;
          }
          function render() {
            const list = selected();
            const pages = Math.max(1, Math.ceil(list.length / pageSize));
            const page = Math.min(Math.max(1, parseInt(state.page, 10) || 1), pages);
            state.page = String(page);
            const start = (page - 1) * pageSize, end = Math.min(start + pageSize, list.length);
            $('gallery').replaceChildren(...list.slice(start, end).map(card));
            $('shown').textContent = list.length ? ` images ${start + 1}-${end} of ${list.length} (page ${page} of ${pages}) ` : ' no image matches ';
            $('prev').disabled = page <= 1;
            $('next').disabled = page >= pages;
            try { history.replaceState(null, '', '#' + new URLSearchParams(state)); } catch (e) { /* a browser that refuses it on file:// */ }
          }
          render();
        })();
        """;
}
