// A token-level task that needs no tokenizer: random prompts of ordinary ids, reward = share of one chosen token in
// the completion. Lets the trainer be exercised and benchmarked on any Qwen2 folder (e.g. tests/reference/qwen2-tiny).
using Grpo.Model;

namespace Grpo.Training;

public static class SyntheticTask
{
    /// <summary>4096 prompts of ids below the model's smallest eos id, reward chosen_share of <paramref name="token"/>,
    /// completions ending on the config's eos ids (the last id when it names none); <paramref name="source"/> names
    /// where the token came from in the error for one outside the vocabulary.</summary>
    public static GrpoTask ForModel(string modelDir, int token, int seed, string source)
    {
        var config = Qwen2Config.Load(modelDir);
        if (token < 0 || token >= config.VocabSize)
            throw new BadInputException($"{source} {token} is outside the model's vocabulary [0, {config.VocabSize})");
        var eos = config.EosTokenId.Count > 0 ? config.EosTokenId : [config.VocabSize - 1];
        int limit = Math.Min(config.VocabSize, eos.Min());
        return new GrpoTask(Prompts(4096, limit, seed), [ChosenTokenShare(token, eos.ToList())], TokenSpec.Raw(eos, config.PadTokenId ?? eos[0]));
    }

    public static IReadOnlyList<TrainingPrompt> Prompts(int count, int vocabularyLimit, int seed, int minLength = 3, int maxLength = 8)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count)
            .Select(_ => new TrainingPrompt(Enumerable.Range(0, rng.Next(minLength, maxLength + 1)).Select(_ => rng.Next(0, vocabularyLimit)).ToArray()))
            .ToList();
    }

    /// <summary>"chosen_share": share of <paramref name="token"/> among the completion's ids, end tokens excluded.</summary>
    public static RewardFunction ChosenTokenShare(int token, IReadOnlyCollection<int> eosIds) => new("chosen_share", x =>
    {
        var body = x.CompletionIds.Where(t => !eosIds.Contains(t)).ToList();
        return body.Count == 0 ? 0 : body.Count(t => t == token) / (double)body.Count;
    });
}
