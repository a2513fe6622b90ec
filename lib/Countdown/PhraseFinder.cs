// Finds marker phrases ("wait", 等等, "let me check" …) in generated text: leftmost-longest, Latin phrases as whole
// words. Shared by the behaviour analysis (ReasoningAnalysis) and the aha-moment extraction (Grpo.Evaluation).
namespace Grpo.Countdown;

public static class PhraseFinder
{
    /// <summary>Leftmost-longest scan: at each position the longest matching phrase wins and the scan continues
    /// after it, so overlapping shorter phrases (突然 inside 突然意识到) are not counted again. Latin phrases match
    /// case-insensitively and only as whole words ("wait" not in "awaited"); CJK phrases match anywhere.</summary>
    public static IReadOnlyList<(int Index, string Phrase)> Find(string text, IEnumerable<string> phrases)
    {
        var ordered = phrases.Distinct().OrderByDescending(p => p.Length)
            .Select(p => (Phrase: p, Lower: p.ToLowerInvariant())).ToArray();
        var hits = new List<(int, string)>();
        for (int i = 0; i < text.Length;)
        {
            string? found = null;
            foreach (var (phrase, lower) in ordered)
                if (MatchesAt(text, i, lower)) { found = phrase; break; }
            if (found is null) { i++; continue; }
            hits.Add((i, found));
            i += found.Length;
        }
        return hits;
    }

    /// <summary>True when the (lower-case) phrase occurs at <paramref name="i"/> under the whole-word rule.</summary>
    public static bool MatchesAt(string text, int i, string lowerPhrase)
    {
        if (lowerPhrase.Length == 0 || i + lowerPhrase.Length > text.Length) return false;
        for (int j = 0; j < lowerPhrase.Length; j++)
            if (char.ToLowerInvariant(text[i + j]) != lowerPhrase[j]) return false;
        // Whole-word rule only at Latin edges: Chinese text has no spaces, so "等等wait" still counts "wait".
        if (IsAsciiWordChar(lowerPhrase[0]) && i > 0 && IsAsciiWordChar(text[i - 1])) return false;
        int end = i + lowerPhrase.Length;
        if (IsAsciiWordChar(lowerPhrase[^1]) && end < text.Length && IsAsciiWordChar(text[end])) return false;
        return true;
    }

    static bool IsAsciiWordChar(char c) => c < 128 && char.IsLetterOrDigit(c);
}
