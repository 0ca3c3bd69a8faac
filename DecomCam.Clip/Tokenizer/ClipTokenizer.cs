using System.Text;
using TorchSharp;

namespace DecomCamNet.Clip.Tokenizer;

/// <summary>
/// OpenAI CLIP's text tokenizer (<c>clip/simple_tokenizer.py</c> and <c>clip.tokenize</c> in openai/CLIP): byte-level
/// BPE with a <c>&lt;/w&gt;</c> end-of-word marker over 49,408 tokens, shared by every CLIP model. A prompt is
/// cleaned (HTML references replaced twice, whitespace runs made one space, ends trimmed, lower-cased; see
/// <c>TextCleaner</c>), split by CLIP's pattern (contractions, letter runs, single digits, runs of other characters),
/// each piece's UTF-8 bytes mapped to printable characters and merged by rank. The vocabulary
/// (<c>bpe_simple_vocab_16e6.txt.gz</c>, openai/CLIP, MIT licence in <c>LICENSE-openai-CLIP.txt</c>) is embedded.
/// <para>
/// Not applied: the reference first runs <c>ftfy.fix_text</c> with its defaults, which repairs mojibake (UTF-8 read as
/// Latin-1 or Windows-1252: <c>cafÃ©</c> becomes <c>café</c>), straightens curly quotes (<c>don’t</c> becomes
/// <c>don't</c>, so it ends in the <c>'t</c> piece there and in <c>’</c> + <c>t</c> here), composes to NFC (<c>e</c> +
/// U+0301 becomes <c>é</c>), turns full-width forms and Latin ligatures into plain letters (<c>ｃａｔ</c>, <c>ﬁ</c>),
/// drops terminal escapes and some control characters, and unescapes HTML once more when the text has no <c>&lt;</c>.
/// ftfy is a Python library with no .NET port (nor a Debian package for the reference), so text it would change gets
/// other ids here; for text it leaves alone (plain, NFC, straight quotes) the ids are the reference's. Python's own
/// definitions are reproduced where .NET's differ (whitespace, lower-casing of İ and final Σ, letters outside the
/// BMP); HTML references are those of HTML 4 plus <c>&amp;apos;</c>, where Python also knows the ~1,900 HTML5-only names
/// (see <c>HtmlEntities</c>). Unicode categories come from .NET's tables, so characters assigned after Python's
/// Unicode version may split differently.
/// </para>
/// <para>
/// Hand-written rather than on Microsoft.ML.Tokenizers: its BPE model would still need CLIP's cleaning, Python-exact
/// pre-tokenizer and byte mapping written here around it, so it saved only the ~40-line merge loop while adding a
/// dependency. Thread-safe: instances are immutable apart from a concurrent cache.
/// </para>
/// </summary>
public sealed class ClipTokenizer
{
    /// <summary>Id of <c>&lt;|startoftext|&gt;</c>, the first token of every tokenized prompt.</summary>
    public const int StartToken = 49406;

    /// <summary>Id of <c>&lt;|endoftext|&gt;</c>, which ends every tokenized prompt; CLIP's text encoder reads its position.</summary>
    public const int EndToken = 49407;

    /// <summary>Number of token ids: 256 bytes, 256 bytes ending a word, 48,894 merges and the two special tokens.</summary>
    public const int VocabularySize = 49408;

    /// <summary>Tokens per prompt in every CLIP model, start and end tokens included.</summary>
    public const int ContextLength = 77;

    private const string VocabularyResource = "DecomCamNet.Clip.bpe_simple_vocab_16e6.txt.gz";

    private static readonly Lazy<ClipTokenizer> Shared = new(LoadEmbedded, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly BytePairEncoder _bpe;

    private ClipTokenizer(BytePairEncoder bpe)
    {
        if (bpe.Count != VocabularySize)
            throw new InvalidDataException($"The BPE vocabulary has {bpe.Count} tokens; CLIP's has {VocabularySize}.");
        if (bpe.IdOf(BytePairEncoder.StartOfText) != StartToken || bpe.IdOf(BytePairEncoder.EndOfText) != EndToken)
            throw new InvalidDataException("The BPE vocabulary's special tokens are not at CLIP's ids 49406 and 49407.");
        _bpe = bpe;
    }

    /// <summary>The tokenizer with CLIP's embedded vocabulary, loaded on first use (about 0.3 s); safe to share between threads.</summary>
    public static ClipTokenizer Default => Shared.Value;

    /// <summary>
    /// The BPE ids of <paramref name="text"/>, without the start and end tokens (the reference's
    /// <c>SimpleTokenizer.encode</c>). An empty or all-whitespace text gives no ids.
    /// </summary>
    /// <param name="text">Any prompt; <c>&lt;|startoftext|&gt;</c> and <c>&lt;|endoftext|&gt;</c> in it become the special ids.</param>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    public IReadOnlyList<int> Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>();
        foreach (var piece in PreTokenizer.Split(TextCleaner.Clean(text)))
            _bpe.Encode(ByteToUnicode.Encode(piece), ids);
        return ids.ToArray();
    }

    /// <summary>
    /// The text of token ids, as the reference's <c>SimpleTokenizer.decode</c>: token texts joined, mapped back to
    /// bytes, read as UTF-8 (invalid sequences become U+FFFD) and every <c>&lt;/w&gt;</c> made a space, so a decoded
    /// prompt ends in a space and <c>Decode(Encode(x))</c> gives the cleaned, lower-cased <c>x</c> with pieces spaced.
    /// Special tokens decode to their text; padding zeros decode to <c>!</c>, so strip them first.
    /// </summary>
    /// <param name="ids">Token ids in [0, <see cref="VocabularySize"/>).</param>
    /// <exception cref="ArgumentNullException"><paramref name="ids"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside the vocabulary.</exception>
    public string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var bytes = new List<byte>();
        foreach (int id in ids)
        {
            if (!_bpe.TryGetToken(id, out var token))
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"Token id {id} is outside CLIP's vocabulary [0, {VocabularySize}).");
            foreach (char c in token)
                bytes.Add(ByteToUnicode.TryGetByte(c, out byte b)
                    ? b
                    : throw new InvalidDataException($"Token {id} (\"{token}\") has a character outside the byte map."));
        }
        return Encoding.UTF8.GetString(bytes.ToArray()).Replace(BytePairEncoder.EndOfWord, " ");
    }

    /// <summary>
    /// Tokenizes prompts for CLIP's text encoder, as <c>clip.tokenize</c>: each row is the start token, the prompt's ids
    /// and the end token, followed by zeros up to <paramref name="contextLength"/>. A prompt whose row would be longer
    /// throws, or with <paramref name="truncate"/> keeps its first <paramref name="contextLength"/> tokens and makes the
    /// last one the end token. All prompts are checked before the tensor is created.
    /// </summary>
    /// <param name="texts">The prompts, one row each; an empty list gives a [0, contextLength] tensor.</param>
    /// <param name="contextLength">Tokens per row, start and end included; 77 for every released CLIP model.</param>
    /// <param name="truncate">Cut prompts that are too long instead of throwing.</param>
    /// <returns>A CPU int64 tensor [N, contextLength]; the caller owns it (move it to the model's device with <c>to</c>).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="texts"/> or one of its prompts is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="contextLength"/> is below 2.</exception>
    /// <exception cref="ArgumentException">A prompt is too long and <paramref name="truncate"/> is false; the message names it and its token count.</exception>
    public torch.Tensor Tokenize(IReadOnlyList<string> texts, int contextLength = ContextLength, bool truncate = false)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (contextLength < 2)
            throw new ArgumentOutOfRangeException(nameof(contextLength), contextLength,
                "The context length must hold at least the start and end tokens (2).");

        var data = new long[(long)texts.Count * contextLength];
        for (int row = 0; row < texts.Count; row++)
        {
            var text = texts[row] ?? throw new ArgumentNullException(nameof(texts), $"Prompt {row} is null.");
            var ids = Encode(text);
            int count = ids.Count + 2;
            if (count > contextLength && !truncate)
                throw new ArgumentException(
                    $"Prompt {row} (\"{Abbreviate(text)}\") has {count} tokens with its start and end tokens, more than " +
                    $"the context length {contextLength}; shorten it or pass truncate: true to keep its first {contextLength}.",
                    nameof(texts));

            long offset = (long)row * contextLength;
            data[offset] = StartToken;
            int kept = Math.Min(ids.Count, contextLength - 2);
            for (int i = 0; i < kept; i++) data[offset + 1 + i] = ids[i];
            // Truncated rows keep contextLength - 1 tokens and end with the end token, like clip.tokenize(truncate=True).
            data[offset + 1 + kept] = EndToken;
        }
        return torch.tensor(data, new long[] { texts.Count, contextLength });
    }

    private static string Abbreviate(string text) => text.Length <= 80 ? text : text[..77] + "...";

    private static ClipTokenizer LoadEmbedded()
    {
        using var stream = typeof(ClipTokenizer).Assembly.GetManifestResourceStream(VocabularyResource)
            ?? throw new InvalidOperationException($"The embedded resource {VocabularyResource} is missing from {typeof(ClipTokenizer).Assembly.GetName().Name}.");
        return new ClipTokenizer(BytePairEncoder.Load(stream));
    }
}
