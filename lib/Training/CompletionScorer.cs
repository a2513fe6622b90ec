// A batch's rewards, as TRL's GRPOTrainer computes them: each named reward function on the completion's text (decoded
// without end and pad tokens) and the reward_weights-weighted sum; the batch the task log sees is built from the same.
namespace Grpo.Training;

/// <summary>One sampled completion of a prompt: the prompt ids it was sampled from, the generated ids, whether it ended on
/// an end token, and the sampler's log-probs when a rollout server returned them.</summary>
sealed record Completion(TrainingPrompt Prompt, int[] PromptIds, int[] Ids, bool Finished, float[]? SamplerLogProbs);

/// <summary>Per completion: the weighted total, each function's reward, the decoded text and its token count.</summary>
sealed record Scores(double[] Total, double[][] PerFunction, string[] Texts, int[] TextTokens)
{
    public static Scores Concat(IReadOnlyList<Scores> parts) => parts.Count == 1 ? parts[0] : new(
        parts.SelectMany(p => p.Total).ToArray(),
        Enumerable.Range(0, parts[0].PerFunction.Length).Select(f => parts.SelectMany(p => p.PerFunction[f]).ToArray()).ToArray(),
        parts.SelectMany(p => p.Texts).ToArray(), parts.SelectMany(p => p.TextTokens).ToArray());

    public Scores Select(IReadOnlyList<int> rows) => new(rows.Select(i => Total[i]).ToArray(),
        PerFunction.Select(f => rows.Select(i => f[i]).ToArray()).ToArray(),
        rows.Select(i => Texts[i]).ToArray(), rows.Select(i => TextTokens[i]).ToArray());
}

sealed class CompletionScorer
{
    readonly IReadOnlyList<RewardFunction> functions;
    readonly double[] weights;
    readonly TokenSpec tokens;
    readonly int numGenerations;

    /// <summary>The task's reward functions with the config's reward_weights (checked against their names).</summary>
    public CompletionScorer(GrpoTask task, GrpoConfig config)
    {
        (functions, tokens, numGenerations) = (task.Rewards, task.Tokens, config.NumGenerations);
        Names = functions.Select(f => f.Name).ToList();
        weights = config.RequireRewardWeights(Names);
    }

    public IReadOnlyList<string> Names { get; }

    public Scores Score(IReadOnlyList<Completion> completions)
    {
        var bodies = completions.Select(c => c.Ids.Where(t => !tokens.EosIds.Contains(t) && t != tokens.PadId).ToList()).ToArray();
        var texts = bodies.Select(ids => tokens.Decode(ids)).ToArray();
        var per = functions.Select(f => completions.Select((c, i) => f.Score(new RewardInput(c.Prompt, texts[i], c.Ids))).ToArray()).ToArray();
        var total = new double[completions.Count];
        for (int f = 0; f < per.Length; f++)
            for (int i = 0; i < total.Length; i++) total[i] += weights[f] * per[f][i];
        return new Scores(total, per, texts, bodies.Select(ids => ids.Count).ToArray());
    }

    /// <summary>The batch as the task log sees it (completions are prompt-major, so row i belongs to prompt i / G).</summary>
    public ScoredBatch Scored(IReadOnlyList<Completion> completions, Scores scores, int step) =>
        new(step, Names, completions.Select((c, i) => new ScoredCompletion(c.Prompt,
            i / numGenerations, scores.Texts[i], scores.TextTokens[i], scores.Total[i], scores.PerFunction.Select(f => f[i]).ToList())).ToList());
}
