using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using DecomCamNet.Tests.Support;

namespace DecomCamNet.Tests.Docs;

/// <summary>
/// The README renders on a hosting page and in the package readme: every file it links or shows is in the repository
/// (tracked by git, so an ignored file that happens to lie in a working tree does not count), and every in-page link
/// names a heading that exists.
/// </summary>
public sealed partial class ReadmeLinkTests
{
    [GeneratedRegex(@"\]\(([^)\s]+)\)|<img[^>]*\ssrc=""([^""]+)""")]
    private static partial Regex Link();

    [GeneratedRegex(@"^#{1,6}\s+(.+?)\s*$", RegexOptions.Multiline)]
    private static partial Regex Heading();

    private static string Readme => File.ReadAllText(Path.Combine(RepoPaths.Root, "README.md"));

    private static IEnumerable<string> Targets() =>
        Link().Matches(Readme).Select(m => m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value)
            .Where(t => !t.Contains("://", StringComparison.Ordinal) && !t.StartsWith("mailto:", StringComparison.Ordinal));

    [Fact]
    public void EveryLinkedFileIsInTheRepository()
    {
        var files = Targets().Where(t => !t.StartsWith('#')).Select(t => Uri.UnescapeDataString(t.Split('#')[0])).Distinct().ToList();
        Assert.NotEmpty(files); // the README shows its first pictures
        var tracked = TrackedFiles();
        var missing = files.Where(f => tracked is null
            ? !File.Exists(Path.Combine(RepoPaths.Root, f)) && !Directory.Exists(Path.Combine(RepoPaths.Root, f))
            : !tracked.Contains(f.TrimEnd('/')) && !tracked.Any(t => t.StartsWith(f.TrimEnd('/') + "/", StringComparison.Ordinal))).ToList();
        Assert.True(missing.Count == 0, "README links files that are not in the repository: " + string.Join(", ", missing));
    }

    [Fact]
    public void EveryInPageLinkNamesAHeading()
    {
        var anchors = Heading().Matches(Readme).Select(m => Slug(m.Groups[1].Value)).ToHashSet(StringComparer.Ordinal);
        var links = Targets().Where(t => t.StartsWith('#')).Select(t => t[1..]).Distinct().ToList();
        Assert.NotEmpty(links);
        var broken = links.Where(l => !anchors.Contains(l)).ToList();
        Assert.True(broken.Count == 0, "README links headings that do not exist: " + string.Join(", ", broken));
    }

    [Theory]
    [InlineData("oneDNN on CPUs that report no cache sizes", "onednn-on-cpus-that-report-no-cache-sizes")]
    [InlineData("Memory on Linux: `NativeHeap`", "memory-on-linux-nativeheap")]
    [InlineData("CLIP: explain an image–text match", "clip-explain-an-imagetext-match")]
    public void HeadingsBecomeAnchorsAsOnHostingPages(string heading, string anchor) => Assert.Equal(anchor, Slug(heading));

    /// <summary>A heading's anchor as GitHub makes it: lower case, punctuation dropped (but - and _), spaces to hyphens.</summary>
    private static string Slug(string heading)
    {
        var slug = new StringBuilder();
        foreach (char c in heading.ToLowerInvariant())
            if (char.IsLetterOrDigit(c) || c is '-' or '_') slug.Append(c);
            else if (c == ' ') slug.Append('-');
        return slug.ToString();
    }

    /// <summary>The files git tracks in the repository, or null where git or the repository's history is not there.</summary>
    private static HashSet<string>? TrackedFiles()
    {
        try
        {
            var start = new ProcessStartInfo("git", "ls-files") { WorkingDirectory = RepoPaths.Root, RedirectStandardOutput = true, RedirectStandardError = true };
            using var git = Process.Start(start)!;
            string output = git.StandardOutput.ReadToEnd();
            git.WaitForExit();
            return git.ExitCode == 0 ? output.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal) : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
