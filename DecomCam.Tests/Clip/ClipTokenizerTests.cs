using System.Text.Json;
using DecomCamNet.Clip.Tokenizer;
using DecomCamNet.Tests.Support;

namespace DecomCamNet.Tests.Clip;

/// <summary>
/// ClipTokenizer against openai/CLIP's own tokenizer (reference/clip_tokenizer_reference.py, ftfy stubbed): the ids of
/// 77 prompts (accents, contractions, emoji, CJK, whitespace, HTML references, digits, letters outside the BMP, case
/// rules such as İ and final Σ) and the row clip.tokenize(truncate=True) gives for a prompt past 77 tokens.
/// </summary>
public class ClipTokenizerTests
{
    private static readonly Lazy<Golden> Tokens = new(Golden.Load);

    public static TheoryData<int> PromptIndices()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < Tokens.Value.Prompts.Count; i++) data.Add(i);
        return data;
    }

    [Theory]
    [MemberData(nameof(PromptIndices))]
    public void EncodeGivesTheReferenceIds(int index)
    {
        var (text, expected) = Tokens.Value.Prompts[index];
        Assert.True(expected.SequenceEqual(ClipTokenizer.Default.Encode(text)),
            $"prompt {index} {JsonSerializer.Serialize(text)}: expected [{string.Join(", ", expected)}], " +
            $"got [{string.Join(", ", ClipTokenizer.Default.Encode(text))}]");
    }

    [Fact]
    public void TokenizeRowsAreStartIdsEndThenZeros()
    {
        var prompts = Tokens.Value.Prompts;
        using var tokens = ClipTokenizer.Default.Tokenize(prompts.Select(p => p.Text).ToList());
        Assert.Equal(new long[] { prompts.Count, ClipTokenizer.ContextLength }, tokens.shape);
        Assert.Equal(TorchSharp.torch.ScalarType.Int64, tokens.dtype);
        var values = tokens.data<long>().ToArray();
        for (int row = 0; row < prompts.Count; row++)
        {
            var ids = prompts[row].Ids;
            var expected = new long[ClipTokenizer.ContextLength];
            expected[0] = ClipTokenizer.StartToken;
            for (int i = 0; i < ids.Length; i++) expected[1 + i] = ids[i];
            expected[ids.Length + 1] = ClipTokenizer.EndToken;
            Assert.Equal(expected, values.AsSpan(row * ClipTokenizer.ContextLength, ClipTokenizer.ContextLength).ToArray());
        }
    }

    [Fact]
    public void TokenizeHonoursAShorterContextLengthAndEmptyLists()
    {
        using var tokens = ClipTokenizer.Default.Tokenize(new[] { "a photo of a cat" }, contextLength: 8);
        Assert.Equal(new long[] { 1, 8 }, tokens.shape);
        var ids = ClipTokenizer.Default.Encode("a photo of a cat");
        Assert.Equal(new long[] { ClipTokenizer.StartToken }.Concat(ids.Select(i => (long)i)).Append(ClipTokenizer.EndToken)
            .Concat(Enumerable.Repeat(0L, 8 - ids.Count - 2)), tokens.data<long>().ToArray());
        using var none = ClipTokenizer.Default.Tokenize(Array.Empty<string>());
        Assert.Equal(new long[] { 0, ClipTokenizer.ContextLength }, none.shape);
    }

    [Fact]
    public void ATooLongPromptThrowsWithItsTokenCount()
    {
        var golden = Tokens.Value;
        var error = Assert.Throws<ArgumentException>(() => ClipTokenizer.Default.Tokenize(new[] { "a cat", golden.LongText }));
        Assert.Equal("texts", error.ParamName);
        Assert.Contains($"Prompt 1 (\"{golden.LongText[..20]}", error.Message);
        Assert.Contains($"has {golden.LongTokenCount} tokens", error.Message);
        Assert.Contains("context length 77", error.Message);
        Assert.Equal(golden.LongIds, ClipTokenizer.Default.Encode(golden.LongText));
        Assert.Equal(golden.LongTokenCount, golden.LongIds.Length + 2);
    }

    [Fact]
    public void TruncateKeepsTheFirstTokensAndEndsWithTheEndToken()
    {
        var golden = Tokens.Value;
        using var tokens = ClipTokenizer.Default.Tokenize(new[] { golden.LongText, "a cat" }, truncate: true);
        var values = tokens.data<long>().ToArray();
        Assert.Equal(golden.Truncated.Select(i => (long)i), values[..ClipTokenizer.ContextLength]);
        Assert.Equal(ClipTokenizer.EndToken, values[ClipTokenizer.ContextLength - 1]);
        using var shortRow = ClipTokenizer.Default.Tokenize(new[] { "a cat" });
        Assert.Equal(shortRow.data<long>().ToArray(), values[ClipTokenizer.ContextLength..]);
    }

    [Theory]
    [InlineData("a photo of a cat")]
    [InlineData("café über niño straße")]
    [InlineData("日本語のテキスト 한국어 привет")]
    [InlineData("supercalifragilisticexpialidocious and antidisestablishmentarianism")]
    [InlineData("emoji 🐱🐶 party")]
    public void DecodeInvertsEncodeForCleanLowerCaseText(string text)
    {
        var tokenizer = ClipTokenizer.Default;
        // Every piece ends in </w>, which decodes as a space.
        Assert.Equal(text + " ", tokenizer.Decode(tokenizer.Encode(text)));
    }

    [Fact]
    public void DecodeSpacesPiecesAndNamesTheSpecialTokens()
    {
        var tokenizer = ClipTokenizer.Default;
        Assert.Equal("hello , world ! ", tokenizer.Decode(tokenizer.Encode("Hello,   World!")));
        Assert.Equal("<|startoftext|>a cat <|endoftext|>",
            tokenizer.Decode(new[] { ClipTokenizer.StartToken }.Concat(tokenizer.Encode("a cat")).Append(ClipTokenizer.EndToken)));
    }

    [Fact]
    public void TheVocabularyHas49408TokensAndEveryIdDecodes()
    {
        Assert.Equal(49408, ClipTokenizer.VocabularySize);
        Assert.Equal((49406, 49407, 77), (ClipTokenizer.StartToken, ClipTokenizer.EndToken, ClipTokenizer.ContextLength));
        var tokenizer = ClipTokenizer.Default;
        for (int id = 0; id < ClipTokenizer.VocabularySize; id++) tokenizer.Decode(new[] { id });
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.Decode(new[] { 1, ClipTokenizer.VocabularySize }));
        Assert.Contains("49408", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.Decode(new[] { -1 }));
    }

    [Fact]
    public void BadArgumentsAreRejectedBeforeAnyTensorIsMade()
    {
        var tokenizer = ClipTokenizer.Default;
        Assert.Throws<ArgumentNullException>(() => tokenizer.Encode(null!));
        Assert.Throws<ArgumentNullException>(() => tokenizer.Decode(null!));
        Assert.Throws<ArgumentNullException>(() => tokenizer.Tokenize(null!));
        var nullPrompt = Assert.Throws<ArgumentNullException>(() => tokenizer.Tokenize(new[] { "a", null! }));
        Assert.Contains("Prompt 1", nullPrompt.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.Tokenize(new[] { "a" }, contextLength: 1));
    }

    [Fact]
    public void TheDefaultInstanceIsSharedAndSafeAcrossThreads()
    {
        var prompts = Tokens.Value.Prompts;
        var instances = new ClipTokenizer[8];
        var results = new IReadOnlyList<int>[8][];
        Parallel.For(0, 8, t =>
        {
            instances[t] = ClipTokenizer.Default;
            results[t] = prompts.Select(p => instances[t].Encode(p.Text)).ToArray();
        });
        Assert.All(instances, i => Assert.Same(ClipTokenizer.Default, i));
        foreach (var result in results)
            for (int i = 0; i < prompts.Count; i++) Assert.Equal(prompts[i].Ids, result[i]);
    }

    private sealed record Golden(
        List<(string Text, int[] Ids)> Prompts, string LongText, int LongTokenCount, int[] LongIds, int[] Truncated)
    {
        public static Golden Load()
        {
            using var json = JsonDocument.Parse(File.ReadAllText(RepoPaths.Golden("clip", "tokens.json")));
            var root = json.RootElement;
            static int[] Ids(JsonElement e) => e.EnumerateArray().Select(x => x.GetInt32()).ToArray();
            var prompts = root.GetProperty("prompts").EnumerateArray()
                .Select(p => (p.GetProperty("text").GetString()!, Ids(p.GetProperty("ids"))))
                .ToList();
            var longPrompt = root.GetProperty("long");
            return new Golden(prompts, longPrompt.GetProperty("text").GetString()!, longPrompt.GetProperty("token_count").GetInt32(),
                Ids(longPrompt.GetProperty("ids")), Ids(longPrompt.GetProperty("truncated")));
        }
    }
}
