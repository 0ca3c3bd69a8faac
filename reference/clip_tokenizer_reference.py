"""Golden token ids for DecomCam.Clip's ClipTokenizer, from openai/CLIP's own tokenizer.

Usage (from the repository root, Debian's Python: python3-regex, python3-torch, python3-torchvision, python3-tqdm):

    /usr/bin/python3 reference/clip_tokenizer_reference.py /tmp/openai-clip [--out DecomCam.Tests/Golden/clip/tokens.json]

The argument is a folder holding openai/CLIP's ``clip`` package (for example ``git archive HEAD clip | tar -x -C
/tmp/openai-clip`` in a clone of https://github.com/openai/CLIP). The script imports that package and calls its
``SimpleTokenizer.encode`` and ``clip.tokenize`` unchanged, with one exception:

ftfy is not packaged for Debian 12, so a stand-in ``ftfy`` module whose ``fix_text`` returns its input unchanged is
put into ``sys.modules`` before the import. The goldens are therefore CLIP's tokenizer *without* ftfy's repairs
(mojibake, curly quotes, NFC, full-width forms, ligatures), which is what the C# port implements; the prompts that
ftfy would change are marked ``"ftfy_changes": true`` in the output.

Output: one JSON object with the prompts (text and ``encode`` ids, one prompt a line) and, for a prompt longer than the
context length, its token count with the start and end tokens and the row ``clip.tokenize(..., truncate=True)`` gives.
"""

import argparse
import json
import sys
import types
from pathlib import Path

# Prompts whose text ftfy.fix_text (default settings) would alter first, so real CLIP may give other ids for them.
FTFY_CHANGES = {
    "curly ‘single’ “double” don’t",
    "combining e\u0301 accent",
    "fullwidth ｃａｔ ＡＢＣ",
    "ligature ﬁsh ﬂower",
    "mojibake cafÃ© donâ€™t",
    "control\u0007bell",
    "info\u001fseparator\u001c",
    "\u001fleading separator",
}

PROMPTS = [
    "a photo of a cat",
    "A photo of a dog.",
    "a diagram",
    "",
    "   ",
    "x",
    "!",
    "Hello, World!",
    "the quick brown fox jumps over the lazy dog",
    "mixed CASE WoRdS",
    "what's that?",
    "they're here, we've gone, I'm fine, you'll see, he'd go",
    "can't won't don't",
    "The cat's toy",
    "IT'S LOUD, THEY'RE HERE",
    "café crème brûlée",
    "über naïve façade",
    "niño mañana España",
    "Zürich Straße",
    "Ünïcödé ÀÉÎÕÜ",
    "ÿ þ ð ß æ ø å",
    "Ελληνικά ΟΔΟΣ σοφός",
    "ΣΑΣ Σ ΑΣ'",
    "Привет мир",
    "İstanbul",
    "ǅ titlecase ǲ",
    "it'ſ ſtraße",
    "日本語のテキスト",
    "中文提示词：一只猫",
    "한국어 문장",
    "emoji 🐱🐶 party 🎉!",
    "👍🏽 thumbs up",
    "family 👨‍👩‍👧 emoji",
    "multiple   spaces\tand\ttabs\nand\nnewlines",
    "\n\n leading and trailing \t ",
    "tab\tseparated\tvalues",
    "nbsp\u00a0here and\u2003em space and\u3000ideographic",
    "info\u001fseparator\u001c",
    "\u001fleading separator",
    "\u2028line separator\u2029para",
    "\u0085next line",
    "line\r\nbreak\rcarriage",
    "zero\u200bwidth space",
    "soft\u00adhyphen",
    "&amp; &lt;b&gt; &quot;quoted&quot; &#39;single&#39;",
    "double escaped &amp;amp; &amp;lt;",
    "legacy &eacute; &ampx &copy 2024 &nbsp;space &AMP; &Eacute",
    "numeric &#233; &#xE9; &#x1F600; &#128; &#0; &#x110000; &#12345678901234567890; &#x7f; &#65",
    "unknown &foo; &apos; &notit; &lang;",
    "tom & jerry & co",
    "123 4567 3.14159 1,000,000",
    "1st 2nd 3rd 4th",
    "room 101, floor 7½, ①②③",
    "Ⅻ roman ⅻ",
    "٣ arabic digits ٤٥",
    "astral digits 𝟙𝟚𝟛",
    "math 𝐀𝐁𝐂 letters",
    "CJK ext B 𠀀𠀁",
    "C++ & C# are... languages?!",
    "e-mail: someone@example.com",
    "https://www.example.com/path?q=1&x=2",
    "#hashtag @mention $100 50% off",
    "(parentheses) [brackets] {braces} <angles>",
    "quotes \"double\" 'single' `back`",
    "curly ‘single’ “double” don’t",
    "em—dash en–dash … ellipsis",
    "snake_case and kebab-case",
    "a photo of a {}.",
    "a photo of a <|startoftext|> and <|endoftext|>",
    "<|EndOfText|>",
    "supercalifragilisticexpialidocious",
    "antidisestablishmentarianism pneumonoultramicroscopicsilicovolcanoconiosis",
    "combining e\u0301 accent",
    "fullwidth ｃａｔ ＡＢＣ",
    "ligature ﬁsh ﬂower",
    "mojibake cafÃ© donâ€™t",
    "control\u0007bell",
]

LONG_PROMPT = " ".join(["A photo of a small grey cat sitting on a red sofa next to an open window."] * 6)


def load_clip(checkout):
    fake = types.ModuleType("ftfy")
    fake.fix_text = lambda text, *args, **kwargs: text  # stand-in: ftfy is not available on Debian
    sys.modules["ftfy"] = fake
    sys.path.insert(0, str(Path(checkout).resolve()))
    import clip  # noqa: E402  (openai/CLIP's package from the checkout)
    return clip


def readable(text):
    """JSON text with the characters a reader cannot see written as \\u escapes."""
    out = []
    for c in text:
        if c.isprintable() or c == " ":
            out.append(c)
        elif ord(c) > 0xFFFF:
            v = ord(c) - 0x10000
            out.append("\\u%04x\\u%04x" % (0xD800 + (v >> 10), 0xDC00 + (v & 0x3FF)))
        else:
            out.append("\\u%04x" % ord(c))
    return "".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkout", help="folder that holds openai/CLIP's clip package")
    parser.add_argument("--out", default="DecomCam.Tests/Golden/clip/tokens.json")
    args = parser.parse_args()

    clip = load_clip(args.checkout)
    tokenizer = clip.clip._tokenizer
    start = tokenizer.encoder["<|startoftext|>"]
    end = tokenizer.encoder["<|endoftext|>"]
    assert (len(tokenizer.encoder), start, end) == (49408, 49406, 49407), (len(tokenizer.encoder), start, end)
    assert len(PROMPTS) == len(set(PROMPTS)) >= 60, len(PROMPTS)
    assert FTFY_CHANGES <= set(PROMPTS)

    rows = []
    for text in PROMPTS:
        ids = tokenizer.encode(text)
        row = clip.tokenize([text])[0].tolist()
        assert row[: len(ids) + 2] == [start] + ids + [end] and not any(row[len(ids) + 2:]), text
        entry = {"text": text, "ids": ids}
        if text in FTFY_CHANGES:
            entry["ftfy_changes"] = True
        rows.append(entry)

    long_ids = tokenizer.encode(LONG_PROMPT)
    count = len(long_ids) + 2
    assert count > 77, count
    try:
        clip.tokenize([LONG_PROMPT])
        raise AssertionError("clip.tokenize accepted a prompt longer than the context length")
    except RuntimeError:
        pass
    truncated = clip.tokenize([LONG_PROMPT], truncate=True)[0].tolist()
    assert truncated == [start] + long_ids[:75] + [end], "truncated row"

    dump = lambda value: readable(json.dumps(value, ensure_ascii=False))
    lines = ["{",
             '  "source": "openai/CLIP clip/simple_tokenizer.py + clip.tokenize, ftfy.fix_text stubbed to identity; '
             'written by reference/clip_tokenizer_reference.py",',
             '  "context_length": 77, "start_token": %d, "end_token": %d, "vocabulary_size": %d,'
             % (start, end, len(tokenizer.encoder)),
             '  "prompts": [']
    lines += ["    " + dump(entry) + ("," if i < len(rows) - 1 else "") for i, entry in enumerate(rows)]
    lines += ["  ],",
              '  "long": {',
              '    "text": %s,' % dump(LONG_PROMPT),
              '    "token_count": %d,' % count,
              '    "ids": %s,' % dump(long_ids),
              '    "truncated": %s' % dump(truncated),
              "  }",
              "}"]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    json.loads(out.read_text(encoding="utf-8"))  # still valid JSON
    print(f"{out}: {len(rows)} prompts, long prompt {count} tokens")


if __name__ == "__main__":
    main()
