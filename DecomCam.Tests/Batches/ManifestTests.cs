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

    private sealed class RowComparer : IEqualityComparer<ManifestRow>
    {
        public bool Equals(ManifestRow? x, ManifestRow? y) =>
            x is not null && y is not null && x with { Outputs = [] } == y with { Outputs = [] } && x.Outputs.SequenceEqual(y.Outputs);

        public int GetHashCode(ManifestRow obj) => obj.Input.GetHashCode();
    }
}
