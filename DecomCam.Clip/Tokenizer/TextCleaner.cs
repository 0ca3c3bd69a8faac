using System.Globalization;
using System.Text;

namespace DecomCamNet.Clip.Tokenizer;

/// <summary>
/// The normalisation CLIP's tokenizer applies before splitting, in its order: HTML references replaced twice (so
/// <c>&amp;amp;lt;</c> becomes <c>&lt;</c>), ends stripped, every whitespace run made one space, ends stripped again,
/// lower-cased. Whitespace and lower-casing follow Python's definitions, not .NET's, where they differ: Python's
/// <c>str.strip</c> also strips U+001C..U+001F, and <c>str.lower</c> turns U+0130 (İ) into <c>i</c> + U+0307 and a
/// word-final capital sigma into ς.
/// </summary>
internal static class TextCleaner
{
    /// <summary>The cleaned, lower-cased text that the pre-tokenizer splits.</summary>
    public static string Clean(string text)
    {
        text = HtmlEntities.Unescape(HtmlEntities.Unescape(text));
        text = StripPython(text);
        text = CollapseWhitespace(text);
        return ToLowerPython(StripPython(text));
    }

    /// <summary>
    /// Whitespace as the <c>regex</c> module's <c>\s</c> sees it: Unicode's White_Space property (tab to carriage
    /// return, space, U+0085, U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000), which is
    /// .NET's <see cref="char.IsWhiteSpace(char)"/>. All of it lies in the BMP.
    /// </summary>
    public static bool IsSpace(int codePoint) => codePoint <= char.MaxValue && char.IsWhiteSpace((char)codePoint);

    // Python's str.isspace: the above plus the information separators U+001C..U+001F.
    private static bool IsPythonSpace(char c) => char.IsWhiteSpace(c) || c is >= '\u001C' and <= '\u001F';

    private static string StripPython(string text)
    {
        int start = 0, end = text.Length;
        while (start < end && IsPythonSpace(text[start])) start++;
        while (end > start && IsPythonSpace(text[end - 1])) end--;
        return text[start..end];
    }

    private static string CollapseWhitespace(string text)
    {
        var builder = new StringBuilder(text.Length);
        bool inRun = false;
        foreach (char c in text)
        {
            bool space = IsSpace(c);
            if (!space) builder.Append(c);
            else if (!inRun) builder.Append(' ');
            inRun = space;
        }
        return builder.ToString();
    }

    /// <summary>
    /// Python's <c>str.lower</c>: the simple lower-case mapping of every code point, except U+0130, whose full mapping
    /// is two code points, and Σ, which becomes ς at the end of a word (a cased letter before it, none after it, with
    /// case-ignorable characters such as apostrophes and combining marks skipped on both sides).
    /// </summary>
    private static string ToLowerPython(string text)
    {
        var runes = new List<Rune>(text.Length);
        foreach (var rune in text.EnumerateRunes()) runes.Add(rune);
        var builder = new StringBuilder(text.Length);
        for (int i = 0; i < runes.Count; i++)
        {
            int value = runes[i].Value;
            if (value == 0x0130) builder.Append("i\u0307");
            else if (value == 0x03A3) builder.Append(IsFinalSigma(runes, i) ? 'ς' : 'σ');
            else builder.Append(Rune.ToLowerInvariant(runes[i]).ToString());
        }
        return builder.ToString();
    }

    private static bool IsFinalSigma(List<Rune> runes, int index)
    {
        int before = index - 1;
        while (before >= 0 && IsCaseIgnorable(runes[before])) before--;
        if (before < 0 || !IsCased(runes[before])) return false;
        int after = index + 1;
        while (after < runes.Count && IsCaseIgnorable(runes[after])) after++;
        return after == runes.Count || !IsCased(runes[after]);
    }

    // Unicode's Cased property, approximated by the letter case categories and by having another case.
    private static bool IsCased(Rune rune) =>
        Rune.GetUnicodeCategory(rune) is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter
            or UnicodeCategory.TitlecaseLetter
        || Rune.ToLowerInvariant(rune) != rune || Rune.ToUpperInvariant(rune) != rune;

    // Unicode's Case_Ignorable property: marks, format characters, modifier letters and symbols, and the
    // word-internal punctuation of the word-break rules (apostrophes, full stop, colon, middle dots).
    private static bool IsCaseIgnorable(Rune rune) =>
        Rune.GetUnicodeCategory(rune) is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark
            or UnicodeCategory.Format or UnicodeCategory.ModifierLetter or UnicodeCategory.ModifierSymbol
        || rune.Value is '\'' or '.' or ':' or 0x00B7 or 0x0387 or 0x055F or 0x05F4 or 0x2018 or 0x2019 or 0x2024
            or 0x2027 or 0xFE13 or 0xFE52 or 0xFE55 or 0xFF07 or 0xFF0E or 0xFF1A;
}
