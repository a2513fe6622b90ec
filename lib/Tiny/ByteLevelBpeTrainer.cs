// Trains a small byte-level BPE the way Hugging Face's BpeTrainer does (most frequent adjacent pair first, counted
// over pre-tokenized words) and writes it as a Hugging Face tokenizer.json that Qwen's loading code reads unchanged.
using System.Text;
using System.Text.RegularExpressions;
using Grpo.Model;

namespace Grpo.Tiny;

/// <summary>Settings of the tiny tokenizer; the three special tokens are Qwen2.5's, so prompts stay ChatML.</summary>
public sealed record BpeTrainerOptions(int VocabSize = 768, int MinFrequency = 2)
{
    public static readonly IReadOnlyList<string> SpecialTokens = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"];
}

/// <summary>A trained vocabulary: byte-level token strings by id, merges in rank order, special tokens after them.</summary>
public sealed record BpeVocabulary(IReadOnlyList<string> Tokens, IReadOnlyList<(string Left, string Right)> Merges,
    IReadOnlyList<string> SpecialTokens)
{
    public int Size => Tokens.Count + SpecialTokens.Count;
    /// <summary>Id of a special token: they follow the BPE tokens, as Qwen's added tokens follow its vocabulary.</summary>
    public int SpecialId(string token) => Tokens.Count + SpecialTokens.ToList().IndexOf(token);
}

public static class ByteLevelBpeTrainer
{
    private static readonly Regex QwenSplit = new(QwenTokenizer.QwenPattern, RegexOptions.Compiled);

    /// <summary>
    /// Learns merges on the corpus until Tokens + SpecialTokens reach options.VocabSize or no pair occurs
    /// options.MinFrequency times. Text is NFC-normalised, special tokens are cut out, the rest is split by the
    /// Qwen pattern (so digits stay single tokens) and mapped to byte-level characters, as at encoding time.
    /// </summary>
    public static BpeVocabulary Train(IEnumerable<string> corpus, BpeTrainerOptions options)
    {
        var specials = BpeTrainerOptions.SpecialTokens;
        int maxTokens = options.VocabSize - specials.Count;
        if (maxTokens < ByteLevel.Alphabet.Count)
            throw new ArgumentException($"Vocabulary size {options.VocabSize} is below the {ByteLevel.Alphabet.Count} byte symbols plus {specials.Count} special tokens.");

        var tokens = ByteLevel.Alphabet.ToList();
        var ids = tokens.Select((t, i) => (t, i)).ToDictionary(x => x.t, x => x.i, StringComparer.Ordinal);
        var words = CountWords(corpus, specials)
            .Select(kv => (Symbols: kv.Key.Select(c => ids[c.ToString()]).ToList(), Count: kv.Value))
            .ToList();

        var merges = new List<(string, string)>();
        while (tokens.Count < maxTokens)
        {
            var pairCounts = new Dictionary<(int, int), long>();
            foreach (var (symbols, count) in words)
                for (int i = 0; i + 1 < symbols.Count; i++)
                    pairCounts[(symbols[i], symbols[i + 1])] = pairCounts.GetValueOrDefault((symbols[i], symbols[i + 1])) + count;
            if (pairCounts.Count == 0) break;
            // Most frequent pair; ties go to the smaller (left, right) ids so training is deterministic.
            var best = pairCounts.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key.Item1).ThenBy(kv => kv.Key.Item2).First();
            if (best.Value < options.MinFrequency) break;

            var (left, right) = best.Key;
            string merged = tokens[left] + tokens[right];
            if (!ids.TryGetValue(merged, out int newId))
            {
                newId = tokens.Count;
                tokens.Add(merged);
                ids[merged] = newId;
            }
            merges.Add((tokens[left], tokens[right]));
            foreach (var (symbols, _) in words) Replace(symbols, left, right, newId);
        }
        return new BpeVocabulary(tokens, merges, specials);
    }

    /// <summary>Pre-tokenized words (byte-level strings) with their counts, as the tokenizer will see them.</summary>
    public static Dictionary<string, long> CountWords(IEnumerable<string> corpus, IReadOnlyList<string> specials)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var text in corpus)
            foreach (var segment in SplitOnSpecials(text.Normalize(NormalizationForm.FormC), specials))
                foreach (Match m in QwenSplit.Matches(segment))
                {
                    string word = ByteLevel.Encode(m.Value);
                    counts[word] = counts.GetValueOrDefault(word) + 1;
                }
        return counts;
    }

    // Text between special tokens; the special tokens themselves are never merged into anything.
    private static IEnumerable<string> SplitOnSpecials(string text, IReadOnlyList<string> specials)
    {
        int start = 0;
        while (start < text.Length)
        {
            int next = -1, length = 0;
            foreach (var s in specials)
            {
                int at = text.IndexOf(s, start, StringComparison.Ordinal);
                if (at >= 0 && (next < 0 || at < next)) { next = at; length = s.Length; }
            }
            if (next < 0) { yield return text[start..]; yield break; }
            if (next > start) yield return text[start..next];
            start = next + length;
        }
    }

    // Non-overlapping left-to-right replacement of (left, right) by merged, as BPE applies a merge.
    private static void Replace(List<int> symbols, int left, int right, int merged)
    {
        for (int i = 0; i + 1 < symbols.Count; i++)
            if (symbols[i] == left && symbols[i + 1] == right)
            {
                symbols[i] = merged;
                symbols.RemoveAt(i + 1);
            }
    }
}
