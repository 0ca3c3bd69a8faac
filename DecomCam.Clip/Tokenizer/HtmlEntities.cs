using System.Net;
using System.Text.RegularExpressions;

namespace DecomCamNet.Clip.Tokenizer;

/// <summary>
/// Replaces HTML character references the way Python's <c>html.unescape</c> does, which is what CLIP's tokenizer runs
/// (twice) on every prompt. Numeric references follow the HTML5 rules: no <c>;</c> needed, code points 0x80..0x9F read
/// as Windows-1252, NUL, surrogates and values past U+10FFFF give U+FFFD, noncharacters and most C0/C1 controls are
/// dropped. Named references need their <c>;</c>, except the 106 legacy names (the Latin-1 entities such as
/// <c>&amp;eacute</c>, plus <c>amp lt gt quot</c> in both cases and <c>COPY REG</c>) that also match at the start of a
/// longer word (<c>&amp;ampx</c> gives <c>&amp;x</c>).
/// <para>
/// The names known are HTML 4.01's 253 (through <see cref="WebUtility.HtmlDecode(string)"/>, with HTML5's values for
/// <c>lang</c> and <c>rang</c>), <c>&amp;apos;</c> and the upper-case <c>AMP LT GT QUOT COPY REG</c>. Python knows all
/// 2,231 names of HTML5; the ~1,900 HTML5-only names (mostly mathematical, such as <c>&amp;check;</c> or
/// <c>&amp;NotEqual;</c>) are left as written here.
/// </para>
/// </summary>
internal static class HtmlEntities
{
    private static readonly Regex Reference = new(@"&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)", RegexOptions.CultureInvariant);

    // HTML5's replacements for the numeric references 0x80..0x9F (Windows-1252; its five holes stay as they are).
    private const string Windows1252 =
        "\u20AC\u0081\u201A\u0192\u201E\u2026\u2020\u2021\u02C6\u2030\u0160\u2039\u0152\u008D\u017D\u008F" +
        "\u0090\u2018\u2019\u201C\u201D\u2022\u2013\u2014\u02DC\u2122\u0161\u203A\u0153\u009D\u017E\u0178";

    private static readonly Dictionary<string, string> Extra = new(StringComparer.Ordinal)
    {
        ["apos"] = "'", ["AMP"] = "&", ["LT"] = "<", ["GT"] = ">", ["QUOT"] = "\"", ["COPY"] = "\u00A9", ["REG"] = "\u00AE",
        // HTML5 moved these two from the technical angle brackets U+2329/U+232A, which .NET still returns.
        ["lang"] = "\u27E8", ["rang"] = "\u27E9",
    };

    /// <summary>The text with every character reference replaced (one pass, like <c>html.unescape</c>).</summary>
    public static string Unescape(string text) =>
        text.Contains('&') ? Reference.Replace(text, m => Replace(m.Groups[1].Value)) : text;

    private static string Replace(string reference) =>
        reference[0] == '#' ? Numeric(reference) : Named(reference);

    private static string Numeric(string reference)
    {
        bool hex = reference[1] is 'x' or 'X';
        var digits = reference.AsSpan(hex ? 2 : 1).TrimEnd(';');
        long value = 0;
        foreach (char c in digits)
        {
            value = value * (hex ? 16 : 10) + (char.IsAsciiDigit(c) ? c - '0' : (c | 0x20) - 'a' + 10);
            if (value > 0x10FFFF) break;
        }

        if (value == 0) return "\uFFFD";
        if (value == 0x0D) return "\r";
        if (value is >= 0x80 and <= 0x9F) return Windows1252[(int)value - 0x80].ToString();
        if (value is >= 0xD800 and <= 0xDFFF || value > 0x10FFFF) return "\uFFFD";
        if (value is >= 0x01 and <= 0x08 or 0x0B or >= 0x0E and <= 0x1F or 0x7F or >= 0xFDD0 and <= 0xFDEF
            || (value & 0xFFFE) == 0xFFFE)
            return "";
        return char.ConvertFromUtf32((int)value);
    }

    private static string Named(string reference)
    {
        if (TryLookup(reference, out var value)) return value;
        // Longest known prefix; only the legacy names (no ';') can match here.
        for (int length = reference.Length - 1; length > 1; length--)
            if (TryLookup(reference[..length], out value))
                return value + reference[length..];
        return "&" + reference;
    }

    private static bool TryLookup(string name, out string value)
    {
        bool terminated = name.EndsWith(';');
        string bare = terminated ? name[..^1] : name;
        if (Extra.TryGetValue(bare, out var extra))
        {
            value = extra;
        }
        else
        {
            string reference = "&" + bare + ";";
            value = WebUtility.HtmlDecode(reference);
            if (value == reference) return false;
        }
        return terminated || IsLegacy(value);
    }

    // Without ';' HTML5 accepts only the names that HTML 3.2 already had: Latin-1 letters and signs, amp, lt, gt, quot
    // (and their upper-case forms, and COPY and REG).
    private static bool IsLegacy(string value) =>
        value.Length == 1 && (value[0] is >= '\u00A0' and <= '\u00FF' or '&' or '<' or '>' or '"');
}
