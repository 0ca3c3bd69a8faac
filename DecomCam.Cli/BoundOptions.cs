using System.CommandLine;

namespace DecomCamNet.Cli;

/// <summary>
/// A command's options, each declared once together with the one way it sets the command's options record
/// <typeparamref name="T"/>: the option goes on the command and into <see cref="Bind"/> from that one declaration, and
/// the record keeps the only defaults (an option that was not given, and has no default of its own, leaves the record's).
/// </summary>
internal sealed class BoundOptions<T> where T : class
{
    private readonly List<Option> _options = [];
    private readonly List<Func<ParseResult, T, T>> _setters = [];
    private readonly List<(string Title, List<Option> Options)> _groups = [];

    /// <summary>Starts the help group <paramref name="title"/>: the options declared next are listed under it.</summary>
    public void Group(string title) => _groups.Add((title, []));

    /// <summary>Declares <paramref name="option"/>, set into the record by <paramref name="set"/> (in declaration order).</summary>
    public Option<TValue> Add<TValue>(Option<TValue> option, Func<T, TValue, T> set)
    {
        _options.Add(option);
        if (_groups.Count > 0) _groups[^1].Options.Add(option);
        _setters.Add((parse, record) => parse.GetResult(option) is null ? record : set(record, parse.GetValue(option)!));
        return option;
    }

    /// <summary>Puts every declared option on <paramref name="command"/>, in its help groups if any were started.</summary>
    public void AddTo(Command command)
    {
        foreach (var option in _options) command.Options.Add(option);
        if (_groups.Count > 0) HelpGroups.Set(command, _groups.Select(g => (g.Title, (IReadOnlyList<Option>)g.Options)).ToList());
    }

    /// <summary>The record <paramref name="defaults"/> with every option of <paramref name="parse"/> set into it.</summary>
    public T Bind(ParseResult parse, T defaults) => _setters.Aggregate(defaults, (record, set) => set(parse, record));
}
