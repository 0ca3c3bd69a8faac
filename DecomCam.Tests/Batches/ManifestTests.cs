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

        Manifest.Write(shard1, rows.Append(rows[0]));
        var twice = Assert.Throws<InvalidDataException>(() => ShardMerge.Merge([dir.Path]));
        Assert.Contains($"'{rows[0].Input}') appears more than once", twice.Message);

        Manifest.Write(shard1, rows);
        File.Delete(dir.File(ShardPlan.FileName(new ShardSpec(2, 3))));
        var absent = Assert.Throws<InvalidDataException>(() => ShardMerge.Merge([dir.Path]));
        Assert.Contains("Shard 2/3 of 3 has no plan", absent.Message);

        var hashShard = new ShardSpec(2, 3) { By = ShardBy.ContentHash };
        ShardPlan.Write(dir.Path, hashShard, inputs.Count, new ShardSpec(2, 3).Select(inputs));
        var mixed = Assert.Throws<InvalidDataException>(() => ShardMerge.Merge([dir.Path]));
        Assert.Contains("split the set in different ways (position and hash)", mixed.Message);
    }

    private sealed class RowComparer : IEqualityComparer<ManifestRow>
    {
        public bool Equals(ManifestRow? x, ManifestRow? y) =>
            x is not null && y is not null && x with { Outputs = [] } == y with { Outputs = [] } && x.Outputs.SequenceEqual(y.Outputs);

        public int GetHashCode(ManifestRow obj) => obj.Input.GetHashCode();
    }
}
