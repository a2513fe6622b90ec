// Reward functions are named and pluggable: the trainer sums them (optionally weighted by reward_weights) and logs each
// one as rewards/<name>/mean, as TRL does. The task defines them (GrpoTask).
namespace Grpo.Training;

/// <summary>What a reward function sees of one completion: its prompt (with the task's example behind it), its text
/// (decoded, without the end token) and its ids (the end token included when generated).</summary>
public sealed record RewardInput(TrainingPrompt Prompt, string Completion, IReadOnlyList<int> CompletionIds);

public sealed record RewardFunction(string Name, Func<RewardInput, double> Score);
