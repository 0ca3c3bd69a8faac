using System.Collections.Concurrent;
using System.IO.Compression;
using System.Text;

namespace DecomCamNet.Clip.Tokenizer;

/// <summary>
/// CLIP's byte-pair encoding: the vocabulary and merge ranks read from <c>bpe_simple_vocab_16e6.txt.gz</c>, and the
/// merge loop. A piece (already mapped byte by byte to characters, see <see cref="ByteToUnicode"/>) starts as its
/// characters with <c>&lt;/w&gt;</c> glued to the last one; the adjacent pair with the lowest merge rank is merged
/// everywhere, left to right, until no pair has a rank. Results are cached per piece (thread-safe).
/// </summary>
internal sealed class BytePairEncoder
{
    /// <summary>The end-of-word marker glued to the last symbol of every piece.</summary>
    public const string EndOfWord = "</w>";

    /// <summary>Merges used: the vocabulary is 256 bytes, 256 bytes + <c>&lt;/w&gt;</c>, the merges, 2 specials.</summary>
    public const int MergeCount = 49152 - 256 - 2;

    /// <summary>The start-of-text special token's text.</summary>
    public const string StartOfText = "<|startoftext|>";

    /// <summary>The end-of-text special token's text.</summary>
    public const string EndOfText = "<|endoftext|>";

    private const int CacheLimit = 100_000;

    private readonly Dictionary<string, int> _ids;
    private readonly string[] _tokens;
    private readonly Dictionary<(string, string), int> _ranks;
    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);

    private BytePairEncoder(List<(string First, string Second)> merges)
    {
        var tokens = new List<string>(2 * 256 + merges.Count + 2);
        tokens.AddRange(ByteToUnicode.VocabularyOrder.Select(c => c.ToString()));
        tokens.AddRange(ByteToUnicode.VocabularyOrder.Select(c => c + EndOfWord));
        tokens.AddRange(merges.Select(m => m.First + m.Second));
        tokens.Add(StartOfText);
        tokens.Add(EndOfText);
        _tokens = tokens.ToArray();
        // Later entries win on a repeated key, as when the reference builds its dicts with zip.
        _ids = new Dictionary<string, int>(_tokens.Length, StringComparer.Ordinal);
        for (int i = 0; i < _tokens.Length; i++) _ids[_tokens[i]] = i;
        _ranks = new Dictionary<(string, string), int>(merges.Count);
        for (int i = 0; i < merges.Count; i++) _ranks[merges[i]] = i;
    }

    /// <summary>Number of token ids (49,408 for CLIP's file).</summary>
    public int Count => _tokens.Length;

    /// <summary>Reads the gzip-compressed merges file: a header line, then one <c>first second</c> pair a line.</summary>
    public static BytePairEncoder Load(Stream gzipped)
    {
        using var gzip = new GZipStream(gzipped, CompressionMode.Decompress, leaveOpen: true);
        using var reader = new StreamReader(gzip, new UTF8Encoding(false, throwOnInvalidBytes: true));
        var lines = reader.ReadToEnd().Split('\n');
        if (lines.Length < MergeCount + 1)
            throw new InvalidDataException($"The BPE merges file has {lines.Length - 1} merge lines; CLIP needs {MergeCount}.");
        var merges = new List<(string, string)>(MergeCount);
        for (int line = 1; line <= MergeCount; line++)
        {
            var parts = lines[line].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2)
                throw new InvalidDataException($"Line {line + 1} of the BPE merges file is not a pair: \"{lines[line]}\".");
            merges.Add((parts[0], parts[1]));
        }
        return new BytePairEncoder(merges);
    }

    /// <summary>The id of a token's text (a vocabulary entry such as <c>cat&lt;/w&gt;</c> or a special token).</summary>
    public int IdOf(string token) => _ids[token];

    /// <summary>The text of a token id; false when the id is outside the vocabulary.</summary>
    public bool TryGetToken(int id, out string token)
    {
        bool known = id >= 0 && id < _tokens.Length;
        token = known ? _tokens[id] : "";
        return known;
    }

    /// <summary>Appends the ids of one piece (its UTF-8 bytes mapped to characters) to <paramref name="ids"/>.</summary>
    public void Encode(string piece, List<int> ids)
    {
        if (!_cache.TryGetValue(piece, out var cached))
        {
            cached = Merge(piece);
            if (_cache.Count >= CacheLimit) _cache.Clear();
            _cache[piece] = cached;
        }
        ids.AddRange(cached);
    }

    private int[] Merge(string piece)
    {
        if (piece is StartOfText or EndOfText) return new[] { _ids[piece] };

        var word = new List<string>(piece.Length);
        for (int i = 0; i < piece.Length - 1; i++) word.Add(piece[i].ToString());
        word.Add(piece[^1] + EndOfWord);

        while (word.Count > 1)
        {
            int bestRank = int.MaxValue, best = -1;
            for (int i = 0; i < word.Count - 1; i++)
                if (_ranks.TryGetValue((word[i], word[i + 1]), out int rank) && rank < bestRank)
                    (bestRank, best) = (rank, i);
            if (best < 0) break;

            string first = word[best], second = word[best + 1];
            var merged = new List<string>(word.Count);
            for (int i = 0; i < word.Count; i++)
            {
                if (i < word.Count - 1 && word[i] == first && word[i + 1] == second)
                {
                    merged.Add(first + second);
                    i++;
                }
                else
                {
                    merged.Add(word[i]);
                }
            }
            word = merged;
        }

        var result = new int[word.Count];
        for (int i = 0; i < word.Count; i++) result[i] = _ids[word[i]];
        return result;
    }
}
