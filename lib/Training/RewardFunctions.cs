// Reward functions are named and pluggable: the trainer sums them (optionally weighted by reward_weights) and logs each
// one as rewards/<name>/mean, as TRL does. The task defines them (GrpoTask).
namespace Grpo.Training;

/// <summary>What a reward function sees of one completion: its prompt (with the task's example behind it), its text
/// (decoded, without the end token) and its ids (the end token included when generated).</summary>
public sealed record RewardInput(TrainingPrompt Prompt, string Completion, IReadOnlyList<int> CompletionIds);

public sealed record RewardFunction(string Name, Func<RewardInput, double> Score);

/// <summary>Task-free reward functions (TRL's trl/rewards).</summary>
public static class StandardRewards
{
    /// <summary>DAPO's soft overlong punishment (TRL's get_soft_overlong_punishment, verl's overlong_buffer): 0 up to
    /// max_completion_length - cache tokens, then falling linearly to -1 at max_completion_length, -1 beyond. Length
    /// counts the completion's ids, end token included.</summary>
    public static RewardFunction SoftOverlongPunishment(int maxCompletionLength, int cache)
    {
        if (cache < 1 || cache > maxCompletionLength)
            throw new ArgumentOutOfRangeException(nameof(cache), cache, $"must be in [1, max_completion_length = {maxCompletionLength}]");
        return new("soft_overlong_punishment", x => Punishment(x.CompletionIds.Count, maxCompletionLength, cache));
    }

    public static double Punishment(int length, int maxCompletionLength, int cache) =>
        length <= maxCompletionLength - cache ? 0
        : length <= maxCompletionLength ? (double)(maxCompletionLength - cache - length) / cache
        : -1;
}
