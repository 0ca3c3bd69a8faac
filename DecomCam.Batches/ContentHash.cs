using System.Security.Cryptography;
using System.Text;

namespace DecomCamNet.Batches;

/// <summary>The SHA-256 of a file's bytes, lower-case hex: the manifest's <c>sha256</c> and the key of <see cref="ShardBy.ContentHash"/>.</summary>
public static class ContentHash
{
    /// <summary>The SHA-256 of <paramref name="bytes"/>, lower-case hex.</summary>
    public static string Of(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>The SHA-256 of the file at <paramref name="path"/>, read as a stream, lower-case hex.</summary>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static string OfFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>
    /// The key that places <paramref name="path"/> in a shard: the SHA-256 of its bytes, or, for a file that cannot be read
    /// (it then becomes an error row of the shard that owns it), the SHA-256 of its full path in UTF-8.
    /// </summary>
    public static string ForSharding(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        try
        {
            return OfFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Of(Encoding.UTF8.GetBytes(Path.GetFullPath(path)));
        }
    }
}
