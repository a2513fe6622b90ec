// Which problems the generator draws: the dataset-like full task, or an easier one a tiny model can compute.
namespace Grpo.Countdown;

/// <summary>How a target is chosen once the numbers are drawn.</summary>
public enum TargetRule
{
    /// <summary>Uniform over every integer in [MinTarget, MaxTarget] that some expression over all the numbers reaches.</summary>
    AnyReachable,
    /// <summary>The value of one random expression over all the numbers whose every step is a positive integer.</summary>
    RandomPositiveIntegerExpression,
}

public sealed record ProblemDistribution(
    string Name,
    int MinCount, int MaxCount,       // how many numbers (inclusive)
    int MinNumber, int MaxNumber,     // each number (inclusive)
    int MinTarget, int MaxTarget,     // target (inclusive)
    TargetRule Rule)
{
    /// <summary>Like Countdown-Tasks-3to4: 3 or 4 numbers of 1-99, a reachable target of 1-100.</summary>
    public static readonly ProblemDistribution Full = new("full", 3, 4, 1, 99, 1, 100, TargetRule.AnyReachable);

    /// <summary>3 numbers of 1-20; target = a random expression over all three with positive-integer steps, 1-100.</summary>
    public static readonly ProblemDistribution Easy = new("easy", 3, 3, 1, 20, 1, 100, TargetRule.RandomPositiveIntegerExpression);

    public static IReadOnlyList<ProblemDistribution> All { get; } = [Full, Easy];

    public static ProblemDistribution ByName(string name) =>
        All.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new BadInputException($"Unknown problem distribution '{name}'; known: {string.Join(", ", All.Select(d => d.Name))}.");
}
