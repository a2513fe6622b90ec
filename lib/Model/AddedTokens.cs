// The added tokens of a tokenizer.json, split out of text before BPE exactly as Hugging Face tokenizers'
// AddedVocabulary does it (tokenizers/src/tokenizer/added_vocabulary.rs, extract_and_normalize and find_matches).
using System.Globalization;
using System.Text;

namespace Grpo.Model;

/// <summary>One entry of tokenizer.json's "added_tokens". <see cref="Special"/> only decides what decoding with
/// skipSpecialTokens drops; every added token, special or not, is matched as one token when encoding.</summary>
public sealed record AddedToken(int Id, string Content, bool Special, bool SingleWord = false, bool LStrip = false,
    bool RStrip = false, bool Normalized = false);

/// <summary>A piece of the input: an added token (<see cref="TokenId"/> set) or text for the pre-tokenizer and BPE.</summary>
public readonly record struct TextSegment(string Text, int? TokenId);

/// <summary>
/// Splits text around added tokens. As in Hugging Face tokenizers: tokens with normalized=false are found in the raw
/// text first; the text between them is then normalized and searched for the normalized=true tokens (whose content
/// is normalized the same way). Matching is leftmost-longest without overlaps; single_word drops a match that has a
/// word character (regex \w) right before or after it; lstrip/rstrip make the token absorb the whitespace before /
/// after it, so that whitespace reaches no other token.
/// </summary>
public sealed class AddedTokenSplitter
{
    readonly Matcher raw, normalized;
    readonly Func<string, string> normalize;

    /// <param name="normalize">The tokenizer's normalizer (e.g. NFC), or null for none.</param>
    public AddedTokenSplitter(IEnumerable<AddedToken> tokens, Func<string, string>? normalize)
    {
        this.normalize = normalize ?? (s => s);
        var list = tokens.Where(t => t.Content.Length > 0).ToList();   // tokenizers ignores empty added tokens
        raw = new Matcher(list.Where(t => !t.Normalized).Select(t => (t.Content, t)));
        normalized = new Matcher(list.Where(t => t.Normalized).Select(t => (this.normalize(t.Content), t)));
    }

    public IEnumerable<TextSegment> Split(string text)
    {
        foreach (var piece in raw.Split(text))
        {
            if (piece.TokenId is not null) { yield return piece; continue; }
            foreach (var inner in normalized.Split(normalize(piece.Text)))
                if (inner.TokenId is not null || inner.Text.Length > 0) yield return inner;
        }
    }

    /// <summary>Leftmost-longest search over one set of token patterns, then the single_word / strip rules.</summary>
    sealed class Matcher
    {
        // Patterns by first character, longest first, so the first hit at a position is the longest one.
        readonly Dictionary<char, (string Pattern, AddedToken Token)[]> byFirstChar;

        public Matcher(IEnumerable<(string Pattern, AddedToken Token)> patterns) =>
            byFirstChar = patterns.GroupBy(p => p.Pattern[0])
                .ToDictionary(g => g.Key, g => g.OrderByDescending(p => p.Pattern.Length).ToArray());

        (int Start, int End, AddedToken Token)? NextMatch(string text, int from)
        {
            for (int i = from; i < text.Length; i++)
                if (byFirstChar.TryGetValue(text[i], out var candidates))
                    foreach (var (pattern, token) in candidates)
                        if (text.AsSpan(i).StartsWith(pattern, StringComparison.Ordinal))
                            return (i, i + pattern.Length, token);
            return null;
        }

        // find_matches of added_vocabulary.rs, line by line.
        public IEnumerable<TextSegment> Split(string text)
        {
            int taken = 0;   // end of the last emitted segment
            for (var m = NextMatch(text, 0); m is { } match; m = NextMatch(text, match.End))
            {
                var (start, stop, token) = match;
                if (token.SingleWord && (start > 0 && EndsWithWordChar(text, start) || stop < text.Length && StartsWithWordChar(text, stop)))
                    continue;
                if (token.LStrip)
                {
                    int s = start;
                    while (s > 0 && char.IsWhiteSpace(text[s - 1])) s--;
                    start = Math.Max(s, taken);   // spaces an earlier token already took stay with it
                }
                if (token.RStrip)
                    while (stop < text.Length && char.IsWhiteSpace(text[stop])) stop++;
                if (taken < start) yield return new TextSegment(text[taken..start], null);
                yield return new TextSegment(text[start..stop], token.Id);
                taken = stop;
            }
            if (taken < text.Length) yield return new TextSegment(text[taken..], null);
        }

        static bool EndsWithWordChar(string text, int end) =>
            Rune.DecodeLastFromUtf16(text.AsSpan(0, end), out var r, out _) == System.Buffers.OperationStatus.Done && IsWordChar(r);

        static bool StartsWithWordChar(string text, int start) =>
            Rune.DecodeFromUtf16(text.AsSpan(start), out var r, out _) == System.Buffers.OperationStatus.Done && IsWordChar(r);

        /// <summary>Rust regex's Unicode \w: Alphabetic, marks, decimal digits, connector punctuation, joiners.
        /// Alphabetic is letters, letter numbers and Other_Alphabetic, which outside the marks is the circled and
        /// squared Latin letters.</summary>
        static bool IsWordChar(Rune r)
        {
            switch (Rune.GetUnicodeCategory(r))
            {
                case UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                    or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter or UnicodeCategory.LetterNumber
                    or UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark
                    or UnicodeCategory.DecimalDigitNumber or UnicodeCategory.ConnectorPunctuation:
                    return true;
            }
            int v = r.Value;
            return v is 0x200C or 0x200D or >= 0x24B6 and <= 0x24E9 or >= 0x1F130 and <= 0x1F149
                or >= 0x1F150 and <= 0x1F169 or >= 0x1F170 and <= 0x1F189;
        }
    }
}
