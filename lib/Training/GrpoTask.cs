// What a task hands the GRPO trainer, which knows no task itself: tokenized prompts (each carrying the task's own
// example), named reward functions, how completions end and become text, an optional task log that keeps what the
// task wants of every scored generation batch (sample files, extra per-step metrics), and the task's own settings,
// which config.json keeps beside the trainer's. The project's task is wired in lib/Pipeline; tests and benchmarks plug
// in synthetic ones (SyntheticTask).
using System.Text.Json.Nodes;

namespace Grpo.Training;

/// <param name="Settings">The task's fields of the run's config.json (snake_case, none named like a GrpoConfig
/// field); null: the task has no settings to keep.</param>
public sealed record GrpoTask(IReadOnlyList<TrainingPrompt> Prompts, IReadOnlyList<RewardFunction> Rewards, TokenSpec Tokens,
    ITaskLog? Log = null, JsonObject? Settings = null);

/// <summary>One completion of a generation batch after scoring. Group: the prompt's index in the batch (the G
/// completions of a prompt share it); Text: decoded without end or pad tokens; Tokens: how many ids that text came
/// from; Reward: the weighted sum; PerFunction: each reward function's score, in the task's order.</summary>
public sealed record ScoredCompletion(TrainingPrompt Prompt, int Group, string Text, int Tokens, double Reward,
    IReadOnlyList<double> PerFunction);

/// <summary>A generation batch as the optimizer steps that train on it see it: Step is the first of them (1-based).</summary>
public sealed record ScoredBatch(int Step, IReadOnlyList<string> RewardNames, IReadOnlyList<ScoredCompletion> Completions);

/// <summary>The task's side of the run log. The trainer calls Write and Metrics once per generation batch (before
/// the update), and TruncateAfter when a run resumes from checkpoint-N, so the task's files read as if the run had
/// never stopped.</summary>
public interface ITaskLog
{
    /// <summary>Keeps what the task wants of the batch (e.g. sample files in the run folder).</summary>
    void Write(ScoredBatch batch);

    /// <summary>Extra metrics logged with every optimizer step on the batch, after the trainer's own; NaN (written as
    /// null) where a value is undefined.</summary>
    IReadOnlyList<KeyValuePair<string, double>> Metrics(ScoredBatch batch);

    /// <summary>Drops what Write wrote for steps after <paramref name="step"/>.</summary>
    void TruncateAfter(int step);
}
