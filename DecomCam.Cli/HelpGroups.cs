using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.Runtime.CompilerServices;

namespace DecomCamNet.Cli;

/// <summary>
/// A command's <c>--help</c> with its options in titled groups (input and model, method, CLIP, output, image sets, ...)
/// instead of one flat list; the options of no group (<c>--verbose</c>, <c>--quiet</c>, <c>--help</c>) come last as
/// "Other options". System.CommandLine writes the help as usual; its options section is then regrouped, rows and
/// alignment unchanged. Commands without groups keep System.CommandLine's help.
/// </summary>
internal static class HelpGroups
{
    // Weak keys: every CliApp.Run builds its commands anew, and their groups go with them.
    private static readonly ConditionalWeakTable<Command, IReadOnlyList<(string Title, IReadOnlyList<Option> Options)>> Groups = new();

    /// <summary>Shows <paramref name="command"/>'s options in <paramref name="groups"/>.</summary>
    public static void Set(Command command, IReadOnlyList<(string Title, IReadOnlyList<Option> Options)> groups) =>
        Groups.AddOrUpdate(command, groups);

    /// <summary>Makes the help of <paramref name="root"/> and its subcommands use the groups.</summary>
    public static void UseIn(RootCommand root)
    {
        var help = root.Options.OfType<HelpOption>().Single();
        if (help.Action is HelpAction action) help.Action = new GroupedHelp(action);
    }

    /// <summary>
    /// <paramref name="help"/> (System.CommandLine's text for <paramref name="command"/>) with the rows of its options
    /// section under the titles of <paramref name="groups"/>.
    /// </summary>
    public static string Regroup(string help, IReadOnlyList<(string Title, IReadOnlyList<Option> Options)> groups)
    {
        var lines = help.Replace("\r\n", "\n").Split('\n');
        int start = Array.IndexOf(lines, "Options:");
        if (start < 0) return help;
        int end = start + 1;
        while (end < lines.Length && lines[end].Length > 0 && lines[end][0] == ' ') end++;
        var rows = new List<List<string>>();
        for (int i = start + 1; i < end; i++)
        {
            if (lines[i].StartsWith("  -", StringComparison.Ordinal)) rows.Add([lines[i]]);
            else if (rows.Count > 0) rows[^1].Add(lines[i]); // a wrapped description
        }
        var byName = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var row in rows)
            foreach (var token in row[0].Trim().Split("  ")[0].Split([',', ' '], StringSplitOptions.RemoveEmptyEntries))
                byName.TryAdd(token, row);
        var used = new HashSet<List<string>>();
        var text = new List<string>();
        foreach (var (title, options) in groups.Append(("Other options", Array.Empty<Option>())))
        {
            var group = title == "Other options"
                ? rows.Where(r => !used.Contains(r)).ToList()
                : options.Select(o => byName.GetValueOrDefault(o.Name)).OfType<List<string>>().Where(used.Add).ToList();
            if (group.Count == 0) continue;
            if (text.Count > 0) text.Add("");
            text.Add(title + ":");
            foreach (var row in group) text.AddRange(row);
        }
        return string.Join(Environment.NewLine, lines[..start].Concat(text).Concat(lines[end..]));
    }

    private sealed class GroupedHelp(HelpAction inner) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            var command = parseResult.CommandResult.Command;
            if (!Groups.TryGetValue(command, out var groups)) return inner.Invoke(parseResult);
            var configuration = parseResult.InvocationConfiguration;
            var output = configuration.Output;
            var buffer = new StringWriter();
            configuration.Output = buffer; // System.CommandLine writes the help; the options section is then regrouped
            int code;
            try { code = inner.Invoke(parseResult); }
            finally { configuration.Output = output; }
            output.Write(Regroup(buffer.ToString(), groups));
            return code;
        }
    }
}
