using System.Collections;
using DecomCamNet.Batches;

namespace DecomCamNet.Tests.Batches;

public sealed class ShardTests
{
    private static readonly IDictionary NoEnvironment = new Dictionary<string, string>();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(23)]
    [InlineData(40)]
    public void ShardsPartitionTheSetExactly(int n)
    {
        var inputs = Enumerable.Range(0, 23).Select(i => $"/data/img{i:D3}.png").ToList();
        var shares = Enumerable.Range(0, n).Select(i => new ShardSpec(i, n).Select(inputs)).ToList();
        var all = shares.SelectMany(s => s).ToList();
        Assert.Equal(inputs.Count, all.Count); // disjoint: nothing twice
        Assert.Equal(inputs.Order(), all.Order()); // complete
        Assert.True(shares.Max(s => s.Count) - shares.Min(s => s.Count) <= 1, "shares differ by more than one image");
        Assert.Equal(shares[0], new ShardSpec(0, n).Select(inputs)); // the same on every machine
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(40)]
    public void ShardsByContentHashPartitionTheSetExactly(int n)
    {
        var inputs = Enumerable.Range(0, 200).Select(i => $"/data/img{i:D3}.png").ToList();
        string Hash(string input) => ContentHash.Of(System.Text.Encoding.UTF8.GetBytes(input)); // stands for the file's bytes
        var shares = Enumerable.Range(0, n).Select(i => new ShardSpec(i, n) { By = ShardBy.ContentHash }.Select(inputs, Hash)).ToList();
        var all = shares.SelectMany(s => s).ToList();
        Assert.Equal(inputs.Count, all.Count); // disjoint
        Assert.Equal(inputs.Order(), all.Order()); // complete
        for (int i = 0; i < n; i++)
        {
            Assert.All(shares[i], input => Assert.Equal(i, ShardSpec.HashShard(Hash(input), n)));
            Assert.Equal(shares[i].Order(StringComparer.Ordinal), shares[i]); // in the sorted order
        }
        // An input keeps its shard when others join the set (by position, every later one would move).
        var more = inputs.Prepend("/data/aaa.png").ToList();
        Assert.Equal(shares[n - 1], new ShardSpec(n - 1, n) { By = ShardBy.ContentHash }.Select(more, Hash).Where(p => p != "/data/aaa.png"));
    }

    [Fact]
    public void AHashIsItsFirstEightBytesBigEndianModuloTheCount()
    {
        // SHA-256("") = e3b0c44298fc1c14...: 0xe3b0c44298fc1c14 = 16406829232824261652, which is 1 mod 3 and 1 mod 7;
        // SHA-256("abc") = ba7816bf8f01cfea...: 0 mod 3, 2 mod 7.
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", ContentHash.Of([]));
        Assert.Equal((1, 1), (ShardSpec.HashShard(ContentHash.Of([]), 3), ShardSpec.HashShard(ContentHash.Of([]), 7)));
        Assert.Equal((0, 2), (ShardSpec.HashShard(ContentHash.Of("abc"u8), 3), ShardSpec.HashShard(ContentHash.Of("abc"u8), 7)));
        Assert.Throws<ArgumentException>(() => ShardSpec.HashShard("not hex at all!!", 3));
        Assert.Throws<ArgumentException>(() => new ShardSpec(0, 2) { By = ShardBy.ContentHash }.Select(new[] { "/a.png" }));
    }

    [Fact]
    public void ParsesIndexAndCount()
    {
        Assert.Equal(new ShardSpec(2, 5), ShardSpec.Parse("2/5", NoEnvironment));
        Assert.Equal("shard-2-of-5", new ShardSpec(2, 5).FileSuffix);
        Assert.Null(ShardSpec.All.FileSuffix);
        foreach (var bad in new[] { "5/5", "-1/5", "1/0", "a/2", "1/2/3", "3", "" })
            Assert.Throws<FormatException>(() => ShardSpec.Parse(bad, NoEnvironment));
    }

    [Fact]
    public void AutoTakesTheIndexFromKubernetesOrSlurm()
    {
        Assert.Equal(new ShardSpec(3, 4), ShardSpec.Parse("auto/4", new Dictionary<string, string> { ["JOB_COMPLETION_INDEX"] = "3" }));
        Assert.Equal(new ShardSpec(1, 4), ShardSpec.Parse("auto", new Dictionary<string, string>
            { ["SLURM_ARRAY_TASK_ID"] = "1", ["SLURM_ARRAY_TASK_COUNT"] = "4" }));
        // Arrays numbered from 1 (sbatch --array=1-4): the index counts from SLURM_ARRAY_TASK_MIN.
        Assert.Equal(new ShardSpec(3, 4), ShardSpec.Parse("auto", new Dictionary<string, string>
            { ["SLURM_ARRAY_TASK_ID"] = "4", ["SLURM_ARRAY_TASK_MIN"] = "1", ["SLURM_ARRAY_TASK_COUNT"] = "4" }));
        var none = Assert.Throws<FormatException>(() => ShardSpec.Parse("auto/4", NoEnvironment));
        Assert.Contains("JOB_COMPLETION_INDEX", none.Message);
        var noCount = Assert.Throws<FormatException>(() => ShardSpec.Parse("auto", new Dictionary<string, string> { ["JOB_COMPLETION_INDEX"] = "0" }));
        Assert.Contains("SLURM_ARRAY_TASK_COUNT", noCount.Message);
        Assert.Throws<FormatException>(() => ShardSpec.Parse("auto/4", new Dictionary<string, string> { ["JOB_COMPLETION_INDEX"] = "4" }));
    }
}
