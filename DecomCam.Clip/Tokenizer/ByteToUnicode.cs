namespace DecomCamNet.Clip.Tokenizer;

/// <summary>
/// The reversible map from UTF-8 bytes to printable characters that byte-level BPE works on (GPT-2 and CLIP use the
/// same one). Bytes that are already visible Latin-1 characters (<c>!</c>..<c>~</c>, <c>¡</c>..<c>¬</c>,
/// <c>®</c>..<c>ÿ</c>; 188 of them) map to themselves; the other 68 (controls, space, DEL, NBSP, soft hyphen) map, in
/// byte order, to U+0100, U+0101, ... so that no token contains whitespace or control characters.
/// </summary>
internal static class ByteToUnicode
{
    /// <summary>Character of each byte value, indexed by the byte.</summary>
    public static IReadOnlyList<char> CharOfByte { get; }

    /// <summary>
    /// The 256 characters in vocabulary order: first the 188 visible bytes in byte order, then the 68 remapped ones.
    /// This order gives the first 256 token ids (and, with <c>&lt;/w&gt;</c> appended, the next 256).
    /// </summary>
    public static IReadOnlyList<char> VocabularyOrder { get; }

    private static readonly Dictionary<char, byte> ByteOfChar;

    static ByteToUnicode()
    {
        var chars = new char[256];
        var visible = new List<char>();
        var remapped = new List<char>();
        int next = 0;
        for (int b = 0; b < 256; b++)
        {
            if (IsVisible(b))
            {
                chars[b] = (char)b;
                visible.Add((char)b);
            }
            else
            {
                chars[b] = (char)(256 + next++);
                remapped.Add(chars[b]);
            }
        }
        CharOfByte = chars;
        VocabularyOrder = visible.Concat(remapped).ToArray();
        ByteOfChar = new Dictionary<char, byte>(256);
        for (int b = 0; b < 256; b++) ByteOfChar[chars[b]] = (byte)b;
    }

    /// <summary>Maps the UTF-8 bytes of <paramref name="text"/> to their characters.</summary>
    public static string Encode(string text)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        var result = new char[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) result[i] = CharOfByte[bytes[i]];
        return new string(result);
    }

    /// <summary>The byte of a mapped character; false for a character outside the map.</summary>
    public static bool TryGetByte(char c, out byte value) => ByteOfChar.TryGetValue(c, out value);

    private static bool IsVisible(int b) => b is >= 0x21 and <= 0x7E or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
}
