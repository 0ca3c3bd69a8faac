using System.Text.Json;
using System.Text.RegularExpressions;
using DecomCamNet.Batches;

namespace DecomCamNet.Tests.Reports;

/// <summary>Fake image-set manifests and the rows a report page carries for its script.</summary>
internal static partial class ReportPages
{
    /// <summary>
    /// <paramref name="count"/> rows: every seventh failed (its error and name with markup in them), the others explained
    /// for class <c>i % 3</c> with score <c>i / 10</c>, each with a map, an overlay and a component grid.
    /// </summary>
    public static List<ManifestRow> FakeRows(int count) => Enumerable.Range(0, count).Select(i => i % 7 == 3
        ? new ManifestRow($"/data/bad <img src=x onerror=alert({i})>.png", "", "m", "gradcam", "layer4", null, null, null, 0, [], $"cannot read <b>{i}</b> & more")
        : new ManifestRow($"/data/img{i:D4}.png", "ab", "m", "gradcam", "layer4", null, i % 3, i / 10f, 0.01,
            [$"img{i:D4}_0a.npy", $"img{i:D4}_0a.png", $"img{i:D4}_0a_ossm.png"], null)).ToList();

    /// <summary>The rows embedded in <paramref name="page"/> for its script.</summary>
    public static JsonElement EmbeddedRows(string page)
    {
        var match = RowsScript().Match(page);
        Assert.True(match.Success, "the page embeds no rows");
        return JsonDocument.Parse(match.Groups[1].Value).RootElement;
    }

    [GeneratedRegex("<script type=\"application/json\" id=\"rows\">(.*?)</script>", RegexOptions.Singleline)]
    private static partial Regex RowsScript();
}
