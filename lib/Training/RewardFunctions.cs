// Reward functions are named and pluggable: the trainer sums them (optionally weighted) and logs each one as
// rewards/<name>/mean. The Countdown pair of docs/countdown-rules.md is the default; tests plug in synthetic rewards.
using Grpo.Countdown;

namespace Grpo.Training;

/// <summary>What a reward function sees of one completion: its text (decoded, without the end token), its ids
/// (the end token included when generated) and the problem behind the prompt.</summary>
public sealed record RewardInput(TrainingPrompt Prompt, string Completion, IReadOnlyList<int> CompletionIds);

public sealed record RewardFunction(string Name, Func<RewardInput, double> Score);

public static class CountdownRewardFunctions
{
    public static RewardFunction Format { get; } = new("format_reward", x => CountdownRewards.FormatReward(x.Completion));

    public static RewardFunction Equation { get; } = new("equation_reward", x =>
        x.Prompt.Problem is { } p ? CountdownRewards.EquationReward(x.Completion, p.Nums, p.Target).Reward
            : throw new InvalidOperationException("equation_reward needs a Countdown problem behind the prompt"));

    public static RewardFunction ByName(string name) => name switch
    {
        "format_reward" => Format,
        "equation_reward" => Equation,
        _ => throw new BadInputException($"reward_funcs: unknown reward function '{name}'; known: format_reward, equation_reward"),
    };
}
