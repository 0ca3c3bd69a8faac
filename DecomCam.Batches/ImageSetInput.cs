namespace DecomCamNet.Batches;

/// <summary>
/// Turns the description of an image set (a folder, a glob such as <c>photos/*.jpg</c>, or a <c>.txt</c> list with one
/// path per line) into the sorted list of files that every machine agrees on.
/// </summary>
public static class ImageSetInput
{
    /// <summary>The file extensions a folder is searched for (the formats ImageSharp decodes), lower case.</summary>
    public static IReadOnlySet<string> ImageExtensions { get; } =
        new HashSet<string>([".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".tga", ".pbm"]);

    /// <summary>Whether <paramref name="spec"/> names a set (folder, glob or <c>.txt</c> list) rather than one file.</summary>
    public static bool IsSet(string spec) =>
        Directory.Exists(spec) || spec.IndexOfAny(['*', '?']) >= 0 || spec.EndsWith(".txt", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The files of the set, full paths, sorted by ordinal comparison and without duplicates. A folder is searched
    /// recursively for <see cref="ImageExtensions"/>; a glob's wildcards apply to the file name (<c>dir/*.png</c>); a list's
    /// relative paths are relative to the list's folder, and blank lines and lines starting with <c>#</c> are skipped.
    /// </summary>
    /// <exception cref="FileNotFoundException">A list, a listed file or a glob's folder does not exist.</exception>
    /// <exception cref="InvalidDataException">The set is empty.</exception>
    public static IReadOnlyList<string> Resolve(string spec)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(spec);
        IEnumerable<string> files;
        if (Directory.Exists(spec))
            files = Directory.EnumerateFiles(spec, "*", SearchOption.AllDirectories)
                .Where(f => ImageExtensions.Contains(Path.GetExtension(f).ToLowerInvariant()));
        else if (spec.IndexOfAny(['*', '?']) >= 0)
        {
            string folder = Path.GetDirectoryName(spec) is { Length: > 0 } d ? d : ".";
            if (folder.IndexOfAny(['*', '?']) >= 0) throw new ArgumentException($"Wildcards go in the file name only: '{spec}'.", nameof(spec));
            if (!Directory.Exists(folder)) throw new FileNotFoundException($"The folder of '{spec}' does not exist.", folder);
            files = Directory.EnumerateFiles(folder, Path.GetFileName(spec));
        }
        else
        {
            if (!File.Exists(spec)) throw new FileNotFoundException($"Image list '{spec}' does not exist.", spec);
            string root = Path.GetDirectoryName(Path.GetFullPath(spec))!;
            files = File.ReadLines(spec).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#'))
                .Select(l => Path.Combine(root, l)).ToList();
            if (files.FirstOrDefault(f => !File.Exists(f)) is { } missing)
                throw new FileNotFoundException($"'{missing}', listed in '{spec}', does not exist.", missing);
        }
        var sorted = files.Select(Path.GetFullPath).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (sorted.Count == 0) throw new InvalidDataException($"'{spec}' holds no images ({string.Join(" ", ImageExtensions)}).");
        return sorted;
    }
}
