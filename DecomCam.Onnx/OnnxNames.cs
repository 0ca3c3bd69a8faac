using System.Text;

namespace DecomCamNet.Onnx;

/// <summary>Module and parameter names made from ONNX names.</summary>
internal static class OnnxNames
{
    /// <summary>A module or parameter name from an ONNX name: letters, digits and underscores, no leading separator.</summary>
    public static string Sanitize(string name)
    {
        var sb = new StringBuilder(name.Length);
        foreach (var c in name) sb.Append(char.IsAsciiLetterOrDigit(c) ? c : '_');
        var s = sb.ToString().Trim('_');
        return s.Length == 0 || char.IsAsciiDigit(s[0]) ? "n_" + s : s;
    }

    /// <summary><paramref name="name"/>, or it with the first free suffix <c>_2</c>, <c>_3</c>, ...; the result is added to <paramref name="used"/>.</summary>
    public static string Unique(string name, HashSet<string> used)
    {
        var candidate = name;
        for (int k = 2; !used.Add(candidate); k++) candidate = $"{name}_{k}";
        return candidate;
    }
}
