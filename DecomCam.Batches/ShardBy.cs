namespace DecomCamNet.Batches;

/// <summary>How a <see cref="ShardSpec"/> splits a set among its shards.</summary>
public enum ShardBy
{
    /// <summary>By position in the sorted input list: shard <c>i</c> takes positions <c>k % n == i</c> (sizes differ by at most one).</summary>
    Position,

    /// <summary>
    /// By content: shard <c>i</c> takes the inputs whose SHA-256 (the manifest's <c>sha256</c>), read as a big-endian
    /// 64-bit number from its first 8 bytes, is <c>i</c> modulo <c>n</c>. An input keeps its shard when files are added,
    /// removed or renamed, and identical files share one; shard sizes vary by chance (binomially).
    /// </summary>
    ContentHash,
}
