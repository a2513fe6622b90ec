// A token-level task that needs no tokenizer: random prompts of ordinary ids, reward = share of one chosen token in
// the completion. Lets the trainer be exercised and benchmarked on any Qwen2 folder (e.g. tests/reference/qwen2-tiny).
namespace Grpo.Training;

public static class SyntheticTask
{
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
