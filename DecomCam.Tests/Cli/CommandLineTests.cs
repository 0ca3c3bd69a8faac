using DecomCamNet.Cli;
using DecomCamNet.Clip.Models;
using DecomCamNet.Tests.Support;

namespace DecomCamNet.Tests.Cli;

/// <summary>
/// The command line's conventions (System.CommandLine): per-command help, response files, <c>--opt=value</c>, bundled short
/// options, a bare <c>decomcam</c> taking explain's options, shell completions, and one-line errors for unknown words.
/// </summary>
public sealed class CommandLineTests : CliRun
{
    [Theory]
    [InlineData("explain", "--decom-q <N>", "DecomCAM: number of OSSMs Q [default: 10]",
        "--input", "--model", "--method", "--target", "--decom-p", "--reshape", "--save-metrics", "--repeat", "--verbose")]
    [InlineData("evaluate", "--count <N>", "generated scenes [default: 100]",
        "--methods", "--seed", "--images", "--masks", "--steps", "--bins", "--road", "--out", "--verbose")]
    public void EachCommandsHelpListsItsOwnOptions(string command, string usage, string description, params string[] options)
    {
        var (code, output, err) = Run(command, "--help");
        Assert.True(code == 0, err);
        Assert.StartsWith("Description:", output);
        Assert.Contains($"decomcam {command} [options]", output);
        foreach (var option in options) Assert.Contains(option, output);
        string other = command == "explain" ? "--methods" : "--decom-p";
        Assert.DoesNotContain(other, output);
        var row = output.Split('\n').Single(l => l.TrimStart().StartsWith(usage, StringComparison.Ordinal)).Trim();
        Assert.Equal(description, row[usage.Length..].Trim());
    }

    [Theory]
    [InlineData("explain", "Input and model", "Preprocessing (default: the model's own)", "Runtime", "Method and target",
        "Detectors (YOLO-style outputs)", "CLIP and transformers", "ONNX", "Method settings", "Output", "Image sets (--input DIR|GLOB|LIST.txt --out DIR)", "Other options")]
    [InlineData("evaluate", "Methods and images", "Model", "Metrics", "Preprocessing (default: the model's own)", "Runtime",
        "Shards and output", "Other options")]
    public void HelpGroupsTheOptionsByPurpose(string command, params string[] groups)
    {
        var (code, output, err) = Run(command, "--help");
        Assert.True(code == 0, err);
        var lines = output.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        Assert.Equal(groups.Select(g => g + ":"), lines.Where(l => l.EndsWith(':') && !l.StartsWith(' ') && l is not ("Description:" or "Usage:")));
        string GroupOf(string option) => lines.Take(lines.FindIndex(l => l.TrimStart().StartsWith(option + " ", StringComparison.Ordinal)))
            .Last(l => l.EndsWith(':') && !l.StartsWith(' '));
        Assert.Equal("Other options:", GroupOf("-v, --verbose"));
        Assert.Equal("Runtime:", GroupOf("--device"));
        if (command == "explain") Assert.Equal("Method settings:", GroupOf("--decom-p"));
        if (command == "explain") Assert.Equal("Method settings:", GroupOf("--no-tune"));
        if (command == "explain") Assert.Equal("Method settings:", GroupOf("--head-fusion"));
        int rows = lines.Count(l => l.StartsWith("  -", StringComparison.Ordinal));
        Assert.Equal(command == "explain" ? 78 : 30, rows); // every option once (75 or 27 and the 3 global ones), none lost
    }

    [Fact]
    public void RegroupingKeepsWrappedDescriptionsWithTheirOption()
    {
        var a = new System.CommandLine.Option<bool>("--alpha");
        var b = new System.CommandLine.Option<bool>("--beta", "-b");
        string help = string.Join(Environment.NewLine, "Usage:", "  x [options]", "", "Options:", "  --alpha   first", "            wrapped",
            "  -b, --beta  second", "  --gamma   third", "", "Commands:", "  y  z");
        string regrouped = HelpGroups.Regroup(help, [("B", [b]), ("A", [a])]);
        Assert.Equal(string.Join(Environment.NewLine, "Usage:", "  x [options]", "", "B:", "  -b, --beta  second", "", "A:", "  --alpha   first",
            "            wrapped", "", "Other options:", "  --gamma   third", "", "Commands:", "  y  z"), regrouped);
    }

    [Fact]
    public void AResponseFileSuppliesTheArguments()
    {
        File.WriteAllLines(P("args.rsp"), new[] { "# explain the sample's square", "explain", "--method gradcam++", "--target 1", $"--overlay {P("o.png")}" });
        var (code, output, err) = Run("@" + P("args.rsp"));
        Assert.True(code == 0, err);
        Assert.Contains("image 0: gradcam++ on block4 for class 1 (square)", output);
        Assert.True(File.Exists(P("o.png")));
    }

    [Fact]
    public void EqualsFormBundledShortOptionsAndTheBareRootGiveTheSameMap()
    {
        var (code1, output, err1) = Run("explain", "--method=layercam", "--target=1", $"--save-map={P("a.npy")}", $"--overlay={P("a.png")}");
        Assert.True(code1 == 0, err1);
        Assert.Contains("layercam on block4 for class 1", output);
        // -v (log) and -t (target) bundled; no command: the root explains.
        var (code2, _, err2) = Run("--method", "layercam", "-vt", "1", "--save-map", P("b.npy"), "-o", P("b.png"));
        Assert.True(code2 == 0, err2);
        Assert.Contains("[Debug] layercam explained 1 row(s)", err2);
        Assert.Equal(File.ReadAllBytes(P("a.npy")), File.ReadAllBytes(P("b.npy")));
    }

    [Theory]
    [InlineData("Unknown option '--bogus' for explain; see explain --help.", "explain", "--bogus")]
    [InlineData("Unknown option '--bogus'; see --help.", "--bogus")]
    [InlineData("Unknown command 'frobnicate'. The commands are 'explain', 'evaluate', 'train-demo', 'merge' and 'report'; see --help.", "frobnicate")]
    [InlineData("Unexpected argument 'x.png' for explain; see explain --help.", "explain", "x.png")]
    [InlineData("Option --overlay needs a value.", "explain", "--overlay", "--heatmap", "h.png")]
    [InlineData("Option --images needs a value.", "evaluate", "--count", "3", "--images")]
    [InlineData("Option --decom-mode takes 'paper' or 'official'; got 'both'.", "--decom-mode=both")]
    [InlineData("Response file not found 'missing.rsp'.", "@missing.rsp")]
    [InlineData("Option --shard: Shard index 3 is out of range for 3 shards (0..2).", "explain", "--out", "o", "--shard", "3/3")]
    [InlineData("--no-overlay goes with an image set (--input DIR|GLOB|LIST.txt --out DIR).", "explain", "--no-overlay")]
    [InlineData("Option --method comes before the command 'explain'; a command's options go after it (see explain --help).", "--method", "decomcam", "explain")]
    public void UnknownWordsAndMissingValuesAreOneLineUsageErrors(string expected, params string[] args)
    {
        var (code, output, err) = Run(args);
        Assert.Equal(2, code);
        Assert.Equal($"error: {expected}", err.TrimEnd());
        Assert.Equal("", output);
    }

    public static TheoryData<string, string[]> Completions => new()
    {
        { "decomcam explain --method decom", new[] { "decomcam" } },
        { "decomcam --method ", CamMethods.Names.Order(StringComparer.Ordinal).ToArray() },
        { "decomcam explain --model clip-", ClipZoo.Names.Order(StringComparer.Ordinal).ToArray() },
        { "decomcam explain --decom-mode ", new[] { "official", "paper" } },
        { "decomcam eva", new[] { "evaluate" } },
    };

    [Theory]
    [MemberData(nameof(Completions))]
    public void TheSuggestDirectiveCompletesCommandsAndValues(string line, string[] expected)
    {
        var (code, output, err) = Run($"[suggest:{line.Length}]", line);
        Assert.True(code == 0, err);
        Assert.Equal(expected, output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }
}
