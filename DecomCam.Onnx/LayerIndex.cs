namespace DecomCamNet.Onnx;

/// <summary>
/// The names that select a node of an imported graph: its node name, the name of its first output tensor (both as Netron
/// shows them) and its module path, each mapped to the module path. When two nodes share a name, the first node in run
/// order keeps it. An unknown name is answered with the nearest node and tensor names.
/// </summary>
internal sealed class LayerIndex
{
    private readonly Dictionary<string, string> _paths = new(StringComparer.Ordinal);
    private readonly string[] _suggestions;

    /// <summary>The index of <paramref name="layers"/>, given in run order.</summary>
    public LayerIndex(IEnumerable<OnnxLayer> layers)
    {
        var suggestions = new List<string>();
        foreach (var layer in layers)
        {
            _paths.TryAdd(layer.NodeName, layer.ModulePath);
            _paths.TryAdd(layer.OutputName, layer.ModulePath);
            _paths.TryAdd(layer.ModulePath, layer.ModulePath);
            suggestions.Add(layer.NodeName);
            suggestions.Add(layer.OutputName);
        }
        _suggestions = suggestions.Distinct().ToArray();
    }

    /// <summary>The module path of the node that <paramref name="name"/> selects.</summary>
    /// <exception cref="ArgumentException">No node goes by that name; the message lists the eight nearest names.</exception>
    public string ToModulePath(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (_paths.TryGetValue(name, out var path)) return path;
        var nearest = _suggestions.Select(k => (Name: k, Distance: EditDistance(name, k)))
            .OrderBy(t => t.Distance).ThenBy(t => t.Name, StringComparer.Ordinal).Take(8).Select(t => t.Name);
        throw new ArgumentException($"Layer '{name}' is not in the ONNX graph. Nearest node and tensor names: {string.Join(", ", nearest)}", "layer");
    }

    private static int EditDistance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        var current = new int[b.Length + 1];
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
