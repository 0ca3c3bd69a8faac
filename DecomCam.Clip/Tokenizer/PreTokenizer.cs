using System.Buffers;
using System.Globalization;
using System.Text;

namespace DecomCamNet.Clip.Tokenizer;

/// <summary>
/// Splits cleaned text into the pieces BPE encodes, as CLIP's pattern
/// <c>&lt;\|startoftext\|&gt;|&lt;\|endoftext\|&gt;|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+</c>
/// (case-insensitive) does under Python's <c>regex</c> module: at each position the first alternative that matches
/// wins, and whitespace between pieces is dropped. Written as a scanner over code points rather than a .NET
/// <see cref="System.Text.RegularExpressions.Regex"/> because .NET's classes see UTF-16 units: a letter outside the
/// BMP (𝐀, 𠀀) would fall into the punctuation class there, while Python's <c>\p{L}</c> takes it as a letter.
/// </summary>
internal static class PreTokenizer
{
    private static readonly string[] Literals =
        { "<|startoftext|>", "<|endoftext|>", "'s", "'t", "'re", "'ve", "'m", "'ll", "'d" };

    /// <summary>The pieces of <paramref name="text"/>, in order.</summary>
    public static IEnumerable<string> Split(string text)
    {
        int i = 0;
        while (i < text.Length)
        {
            int length = MatchAt(text, i);
            if (length > 0)
            {
                yield return text.Substring(i, length);
                i += length;
            }
            else
            {
                i += char.IsSurrogatePair(text, i) ? 2 : 1;
            }
        }
    }

    // Length in UTF-16 units of the match starting at `start`, 0 when none does (whitespace).
    private static int MatchAt(string text, int start)
    {
        foreach (var literal in Literals)
            if (MatchesIgnoringCase(text, start, literal)) return literal.Length;

        var kind = KindAt(text, start, out int width);
        if (kind == Kind.Space) return 0;
        if (kind == Kind.Number) return width;
        int end = start + width;
        while (end < text.Length && KindAt(text, end, out int next) == kind) end += next;
        return end - start;
    }

    // The pattern's literals are ASCII; under regex's simple case folding the only other character that matches one
    // of their letters is ſ (U+017F, which folds to s), and lower-casing has already removed upper-case ASCII.
    private static bool MatchesIgnoringCase(string text, int start, string literal)
    {
        if (start + literal.Length > text.Length) return false;
        for (int k = 0; k < literal.Length; k++)
        {
            char c = text[start + k], p = literal[k];
            if (c != p && char.ToLowerInvariant(c) != p && !(p == 's' && c == '\u017F')) return false;
        }
        return true;
    }

    private enum Kind { Space, Letter, Number, Other }

    private static Kind KindAt(string text, int index, out int width)
    {
        if (Rune.DecodeFromUtf16(text.AsSpan(index), out var rune, out width) != OperationStatus.Done)
            return Kind.Other; // a lone surrogate: neither space, letter nor number
        if (TextCleaner.IsSpace(rune.Value)) return Kind.Space;
        return Rune.GetUnicodeCategory(rune) switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => Kind.Letter,
            UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => Kind.Number,
            _ => Kind.Other,
        };
    }
}
