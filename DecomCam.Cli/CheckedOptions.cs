using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace DecomCamNet.Cli;

/// <summary>
/// Typed options whose values are checked as they are parsed: a bad value becomes a parse error with our one-line message
/// ("Option --count needs an integer >= 1; got '0'."), reported like every other usage error (exit code 2).
/// </summary>
internal static class CheckedOptions
{
    /// <summary>The device every command runs on unless <c>--device</c> says otherwise.</summary>
    public const string DefaultDevice = "cpu";

    /// <summary>The torch device option of every command that runs a model (cpu, cuda, cuda:N), <see cref="DefaultDevice"/> when absent.</summary>
    public static Option<string> Device()
    {
        var option = new Option<string>("--device") { HelpName = "D", DefaultValueFactory = _ => DefaultDevice, Description = "cpu, cuda, cuda:1, ..." };
        option.CompletionSources.Add("cpu", "cuda");
        return option;
    }

    /// <summary>An integer option, at least <paramref name="min"/>, <paramref name="defaultValue"/> when absent.</summary>
    public static Option<int> Int(string name, string description, int min, int defaultValue) => new(name)
    {
        Description = description, HelpName = "N", DefaultValueFactory = _ => defaultValue,
        CustomParser = r => Int(r, name, r.Tokens[0].Value, min),
    };

    /// <summary>An integer option, at least <paramref name="min"/>, null when absent.</summary>
    public static Option<int?> OptionalInt(string name, string description, int min) => new(name)
    {
        Description = description, HelpName = "N",
        CustomParser = r => Int(r, name, r.Tokens[0].Value, min),
    };

    /// <summary>Comma-separated integers (<c>1,3</c>), each at least <paramref name="min"/>; absent, the value is empty.</summary>
    public static Option<int[]> IntList(string name, string description, int min, params string[] aliases) => new(name, aliases)
    {
        Description = description, HelpName = "N[,N...]", Arity = ArgumentArity.ExactlyOne,
        CustomParser = r => r.Tokens[0].Value.Split(',').Select(t => Int(r, name, t, min)).ToArray(),
    };

    /// <summary>A number in [<paramref name="min"/>, <paramref name="max"/>], <paramref name="defaultValue"/> when absent.</summary>
    public static Option<double> Number(string name, string description, double min, double max, double defaultValue) => new(name)
    {
        Description = description, HelpName = "X", DefaultValueFactory = _ => defaultValue,
        CustomParser = r =>
        {
            string text = r.Tokens[0].Value;
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && v >= min && v <= max) return v;
            r.AddError($"Option {name} needs a number in [{min}, {max}]; got '{text}'.");
            return default;
        },
    };

    /// <summary>A number in [<paramref name="min"/>, <paramref name="max"/>], null when absent.</summary>
    public static Option<double?> OptionalNumber(string name, string description, double min, double max) => new(name)
    {
        Description = description, HelpName = "X",
        CustomParser = r =>
        {
            string text = r.Tokens[0].Value;
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && v >= min && v <= max) return v;
            r.AddError($"Option {name} needs a number in [{min}, {max}]; got '{text}'.");
            return null;
        },
    };

    /// <summary>
    /// One of <paramref name="choices"/>' names (any case), completed by the shell; null when absent, so that the caller
    /// takes <paramref name="defaultValue"/>, which the help names as typed on the command line.
    /// </summary>
    public static Option<T?> Choice<T>(string name, string description, T defaultValue, params (string Name, T Value)[] choices) where T : struct
    {
        var names = choices.Select(c => c.Name).ToArray();
        var option = new Option<T?>(name)
        {
            Description = $"{description} [default: {choices.First(c => c.Value.Equals(defaultValue)).Name}]",
            HelpName = string.Join("|", names),
            CustomParser = r =>
            {
                string text = r.Tokens[0].Value;
                foreach (var (choice, value) in choices)
                    if (string.Equals(choice, text, StringComparison.OrdinalIgnoreCase)) return value;
                r.AddError($"Option {name} takes {Listed(names.Select(n => $"'{n}'"), "or")}; got '{text}'.");
                return null;
            },
        };
        option.CompletionSources.Clear(); // the enum's own member names are not what the command line takes
        option.CompletionSources.Add(names);
        return option;
    }

    /// <summary><c>--shard i/n|auto/n|auto</c> (<see cref="Batches.ShardSpec.Parse"/>); null when absent.</summary>
    public static Option<Batches.ShardSpec?> Shard(string description) => new("--shard")
    {
        HelpName = "i/n|auto/n|auto", Description = description,
        CustomParser = r =>
        {
            try { return Batches.ShardSpec.Parse(r.Tokens[0].Value); }
            catch (FormatException e)
            {
                r.AddError($"Option --shard: {e.Message}");
                return null;
            }
        },
    };

    /// <summary><c>--shard-by position|hash</c>: how <c>--shard</c> splits a set of files (<see cref="Batches.ShardBy"/>).</summary>
    /// <param name="prefix">Put before the description (<c>image set: </c>).</param>
    public static Option<Batches.ShardBy?> ShardBy(string prefix) => Choice("--shard-by", prefix + "how --shard splits the set: " +
        "by position in the sorted list, or by the SHA-256 of each file's bytes (each shard reads every file once to hash it; " +
        "an image keeps its shard when files are added or renamed)", Batches.ShardBy.Position,
        ("position", Batches.ShardBy.Position), ("hash", Batches.ShardBy.ContentHash));

    /// <summary>A name option, lower-cased as parsed unless <paramref name="keepCase"/> says the value is a path, whose values
    /// the shell completes from <paramref name="completions"/>.</summary>
    public static Option<string?> Named(string name, string description, IEnumerable<string> completions, Func<string, bool>? keepCase = null)
    {
        var option = new Option<string?>(name)
        {
            Description = description, HelpName = "NAME",
            CustomParser = r => keepCase?.Invoke(r.Tokens[0].Value) == true ? r.Tokens[0].Value : r.Tokens[0].Value.ToLowerInvariant(),
        };
        option.CompletionSources.Add(completions.ToArray());
        return option;
    }

    /// <summary>Three comma-separated finite numbers (R,G,B); null when absent.</summary>
    public static Option<float[]?> Channels(string name, string description) => new(name)
    {
        Description = description, HelpName = "R,G,B",
        CustomParser = r =>
        {
            string text = r.Tokens[0].Value;
            var parts = text.Split(',');
            var values = new float[parts.Length];
            bool ok = parts.Length == 3;
            for (int i = 0; ok && i < parts.Length; i++)
                ok = float.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]) && float.IsFinite(values[i]);
            if (ok) return values;
            r.AddError($"Option {name} needs three comma-separated numbers (R,G,B); got '{text}'.");
            return null;
        },
    };

    /// <summary><c>'a', 'b' or 'c'</c>: <paramref name="items"/> joined with commas and <paramref name="last"/> before the last.</summary>
    public static string Listed(IEnumerable<string> items, string last)
    {
        var all = items.ToArray();
        return all.Length < 2 ? string.Concat(all) : $"{string.Join(", ", all[..^1])} {last} {all[^1]}";
    }

    private static int Int(ArgumentResult result, string option, string text, int min)
    {
        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v >= min) return v;
        result.AddError($"Option {option} needs an integer >= {min}; got '{text}'.");
        return default;
    }
}
