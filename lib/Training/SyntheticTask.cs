// A token-level task that needs no tokenizer: random prompts of ordinary ids, reward = share of chosen tokens (one id
// or a range of ids) in the completion. Lets the trainer be exercised and benchmarked on any Qwen2 folder (e.g.
// tests/reference/qwen2-tiny); a range gives a random-weight model rewards that differ within a group from step 1.
using System.Globalization;
using Grpo.Model;

namespace Grpo.Training;

public static class SyntheticTask
{
    /// <summary>4096 prompts of ids below the model's smallest eos id, reward chosen_share of the ids
    /// <paramref name="first"/>..<paramref name="last"/>, completions ending on the config's eos ids (the last id when it
    /// names none); <paramref name="source"/> names where the ids came from in the error for one outside the vocabulary.</summary>
    public static GrpoTask ForModel(string modelDir, int first, int last, int seed, string source)
    {
        var config = Qwen2Config.Load(modelDir);
        foreach (var id in new[] { first, last })
            if (id < 0 || id >= config.VocabSize)
                throw new BadInputException($"{source} {id} is outside the model's vocabulary [0, {config.VocabSize})");
        var eos = config.EosTokenId.Count > 0 ? config.EosTokenId : [config.VocabSize - 1];
        int limit = Math.Min(config.VocabSize, eos.Min());
        return new GrpoTask(Prompts(4096, limit, seed), [ChosenTokenShare(first, last, eos.ToList())], TokenSpec.Raw(eos, config.PadTokenId ?? eos[0]));
    }

    /// <summary>The same with the ids given as text, "ID" or "FIRST-LAST" (ParseTokens).</summary>
    public static GrpoTask ForModel(string modelDir, string tokens, int seed, string source)
    {
        var (first, last) = ParseTokens(tokens, source);
        return ForModel(modelDir, first, last, seed, source);
    }

    /// <summary>"ID" or "FIRST-LAST" (inclusive, FIRST &lt;= LAST) as the CLI's --synthetic-token takes it.</summary>
    public static (int First, int Last) ParseTokens(string text, string source)
    {
        var parts = text.Split('-');
        bool ok = (parts.Length is 1 or 2) && parts.All(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out _));
        if (!ok) throw new BadInputException($"{source} must be a token id or a range FIRST-LAST of ids, got '{text}'");
        int first = int.Parse(parts[0], CultureInfo.InvariantCulture), last = int.Parse(parts[^1], CultureInfo.InvariantCulture);
        if (last < first) throw new BadInputException($"{source} {text}: the range's first id is above its last");
        return (first, last);
    }

    public static IReadOnlyList<TrainingPrompt> Prompts(int count, int vocabularyLimit, int seed, int minLength = 3, int maxLength = 8)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count)
            .Select(_ => new TrainingPrompt(Enumerable.Range(0, rng.Next(minLength, maxLength + 1)).Select(_ => rng.Next(0, vocabularyLimit)).ToArray()))
            .ToList();
    }

    /// <summary>"chosen_share": share of ids in <paramref name="first"/>..<paramref name="last"/> among the completion's
    /// ids, end tokens excluded.</summary>
    public static RewardFunction ChosenTokenShare(int first, int last, IReadOnlyCollection<int> eosIds) => new("chosen_share", x =>
    {
        var body = x.CompletionIds.Where(t => !eosIds.Contains(t)).ToList();
        return body.Count == 0 ? 0 : body.Count(t => t >= first && t <= last) / (double)body.Count;
    });
}
