using DecomCamNet.Batches;
using DecomCamNet.Tests.Imaging;

namespace DecomCamNet.Tests.Batches;

public sealed class ManifestTests
{
    internal static ManifestRow Row(string input, string? error = null) =>
        new(input, "ab", "scenenet", "gradcam", "block4", null, error is null ? 1 : null, error is null ? 0.5f : null, 0.01, error is null ? [input + ".npy"] : [], error);

    [Fact]
    public void RowsRoundTripAndATruncatedLastLineIsDroppedAndRepaired()
    {
        using var dir = new TempDir();
        string path = dir.File("manifest.jsonl");
        using (var manifest = Manifest.OpenForAppend(path))
        {
            manifest.Append(Row("/a.png"));
            manifest.Append(Row("/b.png", error: "corrupt"));
        }
        File.AppendAllText(path, "{\"input\":\"/c.pn"); // a kill in the middle of a row
        Assert.Equal(new[] { Row("/a.png"), Row("/b.png", "corrupt") }, Manifest.Read(path), new RowComparer());

        using (var manifest = Manifest.OpenForAppend(path)) manifest.Append(Row("/c.png"));
        Assert.Equal(new[] { "/a.png", "/b.png", "/c.png" }, Manifest.Read(path).Select(r => r.Input));
        Assert.EndsWith("\n", File.ReadAllText(path));
    }

    [Fact]
    public void AMalformedCompleteLineIsAnError()
    {
        using var dir = new TempDir();
        string path = dir.File("manifest.jsonl");
        File.WriteAllText(path, "{\"input\":\"/a.png\"}\nnot json\n");
        var e = Assert.Throws<InvalidDataException>(() => Manifest.Read(path));
        Assert.Contains("manifest.jsonl:2", e.Message);
    }

    [Fact]
    public void MergeChecksEveryInputAppearsExactlyOnce()
    {
        using var dir = new TempDir();
        var inputs = Enumerable.Range(0, 7).Select(i => $"/set/{i}.png").ToList();
        for (int i = 0; i < 3; i++)
        {
            var shard = new ShardSpec(i, 3);
            ShardPlan.Write(dir.Path, shard, inputs.Count, shard.Select(inputs));
            Manifest.Write(dir.File(Manifest.FileName(shard)), shard.Select(inputs).Select(p => Row(p)));
        }
        Assert.Equal(inputs, ShardMerge.Merge([dir.Path]).Select(r => r.Input));

        string shard1 = dir.File(Manifest.FileName(new ShardSpec(1, 3)));
        var rows = Manifest.Read(shard1);
        Manifest.Write(shard1, rows.Skip(1));
        var missing = Assert.Throws<InvalidDataException>(() => ShardMerge.Merge([dir.Path]));
        Assert.Contains($"1 input ('{rows[0].Input}') is missing", missing.Message);

        // Within a shard's manifest a later row of an input replaces its earlier one (a resumed run retried it) ...
        Manifest.Write(shard1, rows.Prepend(Row(rows[0].Input, error: "transient")));
        Assert.Null(Assert.Single(ShardMerge.Merge([dir.Path]), r => r.Input == rows[0].Input).Error);
        Manifest.Write(shard1, rows.Append(Row(rows[0].Input, error: "broken since")));
        Assert.Equal("broken since", Assert.Single(ShardMerge.Merge([dir.Path]), r => r.Input == rows[0].Input).Error);
        // ... but an input in two shards' manifests is an error.
        Manifest.Write(shard1, rows);
        string shard0 = dir.File(Manifest.FileName(new ShardSpec(0, 3)));
        var rows0 = Manifest.Read(shard0);
        Manifest.Write(shard0, rows0.Append(rows[0]));
        var twice = Assert.Throws<InvalidDataException>(() => ShardMerge.Merge([dir.Path]));
        Assert.Contains($"'{rows[0].Input}') appears more than once", twice.Message);
        Manifest.Write(shard0, rows0);
        File.Delete(dir.File(ShardPlan.FileName(new ShardSpec(2, 3))));
        var absent = Assert.Throws<InvalidDataException>(() => ShardMerge.Merge([dir.Path]));
        Assert.Contains("Shard 2/3 of 3 has no plan", absent.Message);

        var hashShard = new ShardSpec(2, 3) { By = ShardBy.ContentHash };
        ShardPlan.Write(dir.Path, hashShard, inputs.Count, new ShardSpec(2, 3).Select(inputs));
        var mixed = Assert.Throws<InvalidDataException>(() => ShardMerge.Merge([dir.Path]));
        Assert.Contains("split the set in different ways (position and hash)", mixed.Message);
    }

    [Fact]
    public void MergeRefusesShardsRunWithDifferentSettingsNamingEachDifference()
    {
        using var dir = new TempDir();
        var inputs = Enumerable.Range(0, 4).Select(i => $"/set/{i}.png").ToList();
        var settings = new Dictionary<string, string> { ["method"] = "decomcam", ["map dtype"] = "float32", ["layers"] = "block4" };
        for (int i = 0; i < 2; i++)
        {
            var shard = new ShardSpec(i, 2);
            var own = i == 0 ? settings : new Dictionary<string, string>(settings) { ["method"] = "gradcam", ["map dtype"] = "float16" };
            ShardPlan.Write(dir.Path, shard, inputs.Count, shard.Select(inputs), own);
            Manifest.Write(dir.File(Manifest.FileName(shard)), shard.Select(inputs).Select(p => Row(p)));
        }
        var mixed = Assert.Throws<InvalidDataException>(() => ShardMerge.Merge([dir.Path]));
        Assert.Contains("map dtype: float32 (shard 0/2) vs float16 (shard 1/2)", mixed.Message);
        Assert.Contains("method: decomcam (shard 0/2) vs gradcam (shard 1/2)", mixed.Message);
        Assert.DoesNotContain("layers", mixed.Message);

        ShardPlan.Write(dir.Path, new ShardSpec(1, 2), inputs.Count, new ShardSpec(1, 2).Select(inputs), settings);
        Assert.Equal(inputs, ShardMerge.Merge([dir.Path]).Select(r => r.Input));
    }

    /// <summary>A detector's row: box <paramref name="detection"/> of <paramref name="detections"/> in <paramref name="input"/>.</summary>
    internal static ManifestRow BoxRow(string input, int detection, int detections) =>
        Row(input) with { Detection = detection, Detections = detections, Box = [detection, 2, 30 + detection, 40], Label = "square", DetectionScore = detection == 0 ? 0.9f : 0.75f };

    [Fact]
    public void DetectorRowsRoundTripAndAnImagesRowsAreOneAttemptThatMustBeWhole()
    {
        using var dir = new TempDir();
        string path = dir.File("manifest.jsonl");
        using (var manifest = Manifest.OpenForAppend(path))
        {
            manifest.Append([BoxRow("/a.png", 0, 2), BoxRow("/a.png", 1, 2)]);
            manifest.Append(Row("/b.png") with { Class = null, Score = null, Outputs = [], Detections = 0 });
            manifest.Append([BoxRow("/c.png", 0, 2)]); // a kill before its second row
            manifest.Append(Row("/d.png", error: "corrupt"));
            manifest.Append(Row("/e.png")); // a classifier's row: none of the new fields
        }
        var lines = File.ReadAllLines(path);
        Assert.Contains("\"detection\":1,\"detections\":2,\"box\":[1,2,31,40],\"label\":\"square\",\"detection_score\":0.75}", lines[1]);
        Assert.DoesNotContain("detection", lines[^1]);
        var read = Manifest.Read(path);
        Assert.Equal(((int?)1, (int?)2, "square", (float?)0.75f), (read[1].Detection, read[1].Detections, read[1].Label, read[1].DetectionScore));
        Assert.Equal([1f, 2f, 31f, 40f], read[1].Box);
        Assert.Equal(((int?)null, (int?)0, (IReadOnlyList<float>?)null), (read[2].Detection, read[2].Detections, read[2].Box));
        Assert.Equal(["/a.png", "/b.png", "/e.png"], Manifest.Explained(read).Order(StringComparer.Ordinal));

        // Retries: /a.png failed once, then explained with three boxes; /c.png whole this time. The latest attempts alone remain.
        using (var manifest = Manifest.OpenForAppend(path))
        {
            manifest.Append(Row("/a.png", error: "out of memory"));
            manifest.Append([BoxRow("/a.png", 0, 3), BoxRow("/a.png", 1, 3), BoxRow("/a.png", 2, 3)]);
            manifest.Append([BoxRow("/c.png", 0, 2), BoxRow("/c.png", 1, 2)]);
        }
        var latest = Manifest.Latest(Manifest.Read(path));
        Assert.Equal(["/a.png 0/3", "/a.png 1/3", "/a.png 2/3", "/b.png /0", "/c.png 0/2", "/c.png 1/2", "/d.png /", "/e.png /"],
            latest.Select(r => $"{r.Input} {r.Detection}/{r.Detections}"));
        Assert.Equal(["/a.png", "/b.png", "/c.png", "/e.png"], Manifest.Explained(latest).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void MergeTakesAnImagesRowsPerBoxAndCountsAnAttemptCutShortAsMissing()
    {
        using var dir = new TempDir();
        var inputs = new[] { "/set/0.png", "/set/1.png", "/set/2.png" };
        var rows = new Dictionary<string, ManifestRow[]>
        {
            ["/set/0.png"] = [BoxRow("/set/0.png", 0, 2), BoxRow("/set/0.png", 1, 2)],
            ["/set/1.png"] = [Row("/set/1.png") with { Detections = 0, Outputs = [] }],
            ["/set/2.png"] = [BoxRow("/set/2.png", 0, 1)],
        };
        for (int i = 0; i < 2; i++)
        {
            var shard = new ShardSpec(i, 2);
            ShardPlan.Write(dir.Path, shard, inputs.Length, shard.Select(inputs));
            Manifest.Write(dir.File(Manifest.FileName(shard)), shard.Select(inputs).SelectMany(p => rows[p]));
        }
        Assert.Equal(["/set/0.png 0", "/set/0.png 1", "/set/1.png ", "/set/2.png 0"], ShardMerge.Merge([dir.Path]).Select(r => $"{r.Input} {r.Detection}"));

        var first = new ShardSpec(0, 2);
        Manifest.Write(dir.File(Manifest.FileName(first)), first.Select(inputs).SelectMany(p => rows[p].Take(1)));
        var e = Assert.Throws<InvalidDataException>(() => ShardMerge.Merge([dir.Path]));
        Assert.Contains("1 input ('/set/0.png') is missing from the manifests", e.Message);
    }

    private sealed class RowComparer : IEqualityComparer<ManifestRow>
    {
        public bool Equals(ManifestRow? x, ManifestRow? y) =>
            x is not null && y is not null && x with { Outputs = [] } == y with { Outputs = [] } && x.Outputs.SequenceEqual(y.Outputs);

        public int GetHashCode(ManifestRow obj) => obj.Input.GetHashCode();
    }
}
