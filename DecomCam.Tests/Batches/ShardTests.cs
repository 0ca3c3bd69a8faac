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
