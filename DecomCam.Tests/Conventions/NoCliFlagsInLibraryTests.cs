using System.Text.RegularExpressions;
using DecomCamNet.Tests.Support;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace DecomCamNet.Tests.Conventions;

/// <summary>
/// The library speaks in its own terms: no string in library code names a command-line flag (<c>--resume</c>,
/// <c>--shard</c>, <c>--reshape</c>); the command line maps library errors to its flags itself.
/// </summary>
public partial class NoCliFlagsInLibraryTests
{
    private static readonly string[] LibraryProjects =
        ["DecomCam.Core", "DecomCam.Methods", "DecomCam.Clip", "DecomCam.Onnx", "DecomCam.Evaluation", "DecomCam.Batches"];

    [Fact]
    public void NoLibraryStringNamesACommandLineFlag()
    {
        var findings = new List<string>();
        int files = 0;
        foreach (string project in LibraryProjects)
        {
            string dir = Path.Combine(RepoPaths.Root, project);
            foreach (string file in Directory.EnumerateFiles(dir, "*.cs", SearchOption.AllDirectories)
                .Where(f => !IsUnder(f, Path.Combine(dir, "obj")) && !IsUnder(f, Path.Combine(dir, "bin"))))
            {
                files++;
                var tree = CSharpSyntaxTree.ParseText(File.ReadAllText(file), new CSharpParseOptions(LanguageVersion.Latest), file);
                findings.AddRange(Flags(tree).Select(f => $"{Path.GetRelativePath(RepoPaths.Root, file)}:{f}"));
            }
        }
        Assert.True(files > 100, $"only {files} library sources found under {RepoPaths.Root}");
        Assert.True(findings.Count == 0, "Library strings that name command-line flags (say it in the library's terms; the CLI adds its flags):\n"
            + string.Join("\n", findings));
    }

    [Fact]
    public void TheScanFindsFlagsInEveryKindOfStringAndNothingElse()
    {
        var tree = CSharpSyntaxTree.ParseText(""""
            static class Messages
            {
                static int Count(int i) => --i;                                    // an operator, not a string
                // a comment naming --resume is not a message
                const string Plain = "pass --resume to continue";                 // 5
                static string Interpolated(int n) => $"give --shard {n}/4 or";    // 6
                const string Raw = """use --reshape vit""";                       // 7
                const string Verbatim = @"--map-dtype float16";                   // 8
                const string Fine = "a range 1--2, an arrow -->, a dash -- alone, x--y";
            }
            """");
        Assert.Equal(["5: --resume", "6: --shard", "7: --reshape", "8: --map-dtype"], Flags(tree));
    }

    /// <summary>Each flag in a string literal of <paramref name="tree"/>, as <c>line: flag</c>.</summary>
    private static IEnumerable<string> Flags(SyntaxTree tree) =>
        from token in tree.GetRoot().DescendantTokens()
        where token.IsKind(SyntaxKind.StringLiteralToken) || token.IsKind(SyntaxKind.InterpolatedStringTextToken)
            || token.IsKind(SyntaxKind.SingleLineRawStringLiteralToken) || token.IsKind(SyntaxKind.MultiLineRawStringLiteralToken)
            || token.IsKind(SyntaxKind.Utf8StringLiteralToken)
        from Match flag in Flag().Matches(token.Text)
        select $"{token.GetLocation().GetLineSpan().StartLinePosition.Line + 1}: {flag.Value}";

    /// <summary>Two dashes that start a word (not after a letter, digit or dash), then a lower-case word with dashes.</summary>
    [GeneratedRegex(@"(?<![\w-])--[a-z][a-z0-9]*(?:-[a-z0-9]+)*")]
    private static partial Regex Flag();

    private static bool IsUnder(string file, string folder) =>
        file.StartsWith(folder + Path.DirectorySeparatorChar, StringComparison.Ordinal);
}
