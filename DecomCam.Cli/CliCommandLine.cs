using System.CommandLine;
using System.CommandLine.Parsing;

namespace DecomCamNet.Cli;

/// <summary>
/// The grammar of <c>decomcam</c>: a root command that takes explain's options (so that <c>decomcam</c> alone explains the
/// bundled sample), one subcommand per <c>*CommandLine</c> class, and the global <c>--verbose</c>. System.CommandLine
/// gives per-command <c>--help</c>, <c>--opt=value</c>, bundled short options, response files (<c>@args.rsp</c>) and
/// shell completions (the <c>[suggest]</c> directive that dotnet-suggest calls).
/// </summary>
internal sealed class CliCommandLine
{
    public CliCommandLine()
    {
        Root = new RootCommand(RootDescription) { Verbose, Quiet };
        Root.HelpName = "decomcam"; // the tool's name, also where the host is another process (tests)
        new ExplainCommandLine(this).AddTo(Root);
        Root.Subcommands.Add(ExplainCommandLine.Create(this));
        Root.Subcommands.Add(EvaluateCommandLine.Create(this));
        Root.Subcommands.Add(TrainDemoCommandLine.Create(this));
        Root.Subcommands.Add(MergeCommandLine.Create());
        Root.Subcommands.Add(ReportCommandLine.Create());
        HelpGroups.UseIn(Root);
        Root.Validators.Add(RejectOptionsAsValues);
        Root.Validators.Add(RejectVerboseWithQuiet);
        foreach (var command in Root.Subcommands)
        {
            command.Validators.Add(RejectOptionsAsValues);
            command.Validators.Add(RejectRootOptionsBeforeTheCommand);
            command.Validators.Add(RejectVerboseWithQuiet);
        }
    }

    private const string RootDescription = "Class activation maps for TorchSharp models (DecomCam.NET). With no command it runs " +
        "explain, whose options it takes: with no --model and no --input it explains the bundled sample image with the bundled " +
        "SceneNet demo model. Each command has its own --help; @FILE reads arguments from a response file.";

    public RootCommand Root { get; }

    /// <summary>Logs details, and shows stack traces on errors, in every command.</summary>
    public Option<bool> Verbose { get; } = new("--verbose", "-v") { Description = "log details and show stack traces on errors", Recursive = true };

    /// <summary>Leaves out progress, notes and warnings in every command: results and errors only.</summary>
    public Option<bool> Quiet { get; } = new("--quiet", "-q") { Description = "no progress, notes or warnings: results and errors only", Recursive = true };

    /// <summary>The global options' <see cref="Cli.Verbosity"/> in <paramref name="parse"/>.</summary>
    public Verbosity Verbosity(ParseResult parse) => new(parse.GetValue(Verbose), parse.GetValue(Quiet));

    /// <summary>The one-line message for a parse that failed: the first bad value, else the first unknown word, else the first check.</summary>
    public static string Error(ParseResult parse)
    {
        var bad = parse.Errors.FirstOrDefault(e => e.SymbolResult is OptionResult or ArgumentResult);
        if (bad is not null)
            return bad.SymbolResult is OptionResult { Tokens.Count: 0 } missing ? $"Option {missing.Option.Name} needs a value." : bad.Message;
        if (parse.UnmatchedTokens.Count > 0) return Unknown(parse.CommandResult.Command, parse.UnmatchedTokens[0]);
        return parse.Errors[0].Message;
    }

    /// <summary>
    /// <c>--overlay --heatmap h.png</c> would write the overlay to a file named <c>--heatmap</c>: a value that starts with
    /// <c>--</c> is taken for a forgotten value instead.
    /// </summary>
    private static void RejectOptionsAsValues(CommandResult command)
    {
        foreach (var option in command.Children.OfType<OptionResult>())
            if (option.Tokens.Any(t => t.Value.StartsWith("--", StringComparison.Ordinal)))
                option.AddError($"Option {option.Option.Name} needs a value.");
    }

    /// <summary><c>decomcam --method decomcam explain</c> would drop the root's <c>--method</c>: options go after the command.</summary>
    private void RejectRootOptionsBeforeTheCommand(CommandResult command)
    {
        if (command.Parent is not CommandResult root) return;
        var misplaced = root.Children.OfType<OptionResult>().FirstOrDefault(o => !o.Implicit && o.Option != Verbose && o.Option != Quiet);
        if (misplaced is not null)
            command.AddError($"Option {misplaced.Option.Name} comes before the command '{command.Command.Name}'; a command's options go after it (see {command.Command.Name} --help).");
    }

    private void RejectVerboseWithQuiet(CommandResult command)
    {
        if (command.GetValue(Verbose) && command.GetValue(Quiet)) command.AddError("Give either --verbose or --quiet, not both.");
    }

    private static string Unknown(Command command, string word)
    {
        bool root = command is RootCommand;
        string where = root ? "" : $" for {command.Name}", help = root ? "--help" : $"{command.Name} --help";
        if (word.StartsWith('-')) return $"Unknown option '{word}'{where}; see {help}.";
        if (!root) return $"Unexpected argument '{word}'{where}; see {help}.";
        var commands = command.Subcommands.Select(c => $"'{c.Name}'");
        return $"Unknown command '{word}'. The commands are {CheckedOptions.Listed(commands, "and")}; see --help.";
    }
}
