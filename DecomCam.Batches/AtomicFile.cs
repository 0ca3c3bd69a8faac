namespace DecomCamNet.Batches;

/// <summary>Writes a file under a temporary name and renames it, so a reader or a killed run never sees half a file.</summary>
public static class AtomicFile
{
    /// <summary>The temporary name <see cref="Write"/> uses for <paramref name="path"/>: <c>path.tmp</c>.</summary>
    public static string TemporaryName(string path) => path + ".tmp";

    /// <summary>
    /// Calls <paramref name="write"/> with <see cref="TemporaryName"/>, then renames that file to <paramref name="path"/>
    /// (replacing it). A temporary file left by an earlier, killed run is overwritten.
    /// </summary>
    public static void Write(string path, Action<string> write)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(write);
        string temp = TemporaryName(path);
        File.Delete(temp);
        write(temp);
        File.Move(temp, path, overwrite: true);
    }
}
