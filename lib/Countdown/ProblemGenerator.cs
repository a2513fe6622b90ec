// Seeded generator of solvable Countdown problems (docs/countdown-rules.md: same schema and ranges as Countdown-Tasks-3to4).
namespace Grpo.Countdown;

public static class ProblemGenerator
{
    /// <summary>The most problems one call generates: twice Countdown-Tasks-3to4's 490,364 rows (a million problems
    /// take about 100 MB); callers refuse larger counts naming their flag or field.</summary>
    public const int MaxCount = 1_000_000;

    /// <summary>count problems drawn from d; the same seed gives the same problems on every machine.</summary>
    public static IReadOnlyList<CountdownProblem> Generate(int count, int seed, ProblemDistribution d)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, MaxCount);
        Validate(d);
        var rng = new Random(seed);   // seeded System.Random has a fixed algorithm across .NET versions
        var problems = new List<CountdownProblem>(count);
        // A distribution whose ranges admit (almost) no problem would otherwise loop forever.
        long attemptsLeft = 10_000L + 1_000L * count;
        while (problems.Count < count)
        {
            if (attemptsLeft-- == 0)
                throw new InvalidOperationException($"Distribution '{d.Name}' yielded only {problems.Count} of {count} problems; are its ranges satisfiable?");
            if (TryDraw(rng, d) is { } p) problems.Add(p);
        }
        return problems;
    }

    private static CountdownProblem? TryDraw(Random rng, ProblemDistribution d)
    {
        int n = rng.Next(d.MinCount, d.MaxCount + 1);
        var nums = new int[n];
        for (int i = 0; i < n; i++) nums[i] = rng.Next(d.MinNumber, d.MaxNumber + 1);
        return d.Rule switch
        {
            TargetRule.AnyReachable => AnyReachable(rng, nums, d),
            TargetRule.RandomPositiveIntegerExpression => RandomExpression(rng, nums, d),
            _ => throw new ArgumentOutOfRangeException(nameof(d), d.Rule, "Unknown target rule."),
        };
    }

    private static CountdownProblem? AnyReachable(Random rng, int[] nums, ProblemDistribution d)
    {
        var reachable = CountdownSolver.ReachableIntegers(nums, d.MinTarget, d.MaxTarget);
        return reachable.Count == 0 ? null : new CountdownProblem(nums, reachable[rng.Next(reachable.Count)]);
    }

    // Combine two random values at a time (a random binary tree over a random order); reject the draw when a
    // step is not a positive integer or the result leaves the target range.
    private static CountdownProblem? RandomExpression(Random rng, int[] nums, ProblemDistribution d)
    {
        var values = nums.Select(x => (long)x).ToList();
        while (values.Count > 1)
        {
            int i = rng.Next(values.Count);
            long a = values[i]; values.RemoveAt(i);
            int j = rng.Next(values.Count);
            long b = values[j]; values.RemoveAt(j);
            long? c = rng.Next(4) switch
            {
                0 => a + b,
                1 => a - b > 0 ? a - b : null,
                2 => a * b,
                _ => b != 0 && a % b == 0 ? a / b : null,
            };
            if (c is not { } v || v <= 0 || v > 1_000_000) return null;
            values.Add(v);
        }
        long target = values[0];
        return target < d.MinTarget || target > d.MaxTarget ? null : new CountdownProblem(nums, (int)target);
    }

    private static void Validate(ProblemDistribution d)
    {
        if (d.MinCount < 1 || d.MaxCount > 6 || d.MinCount > d.MaxCount)
            throw new ArgumentException($"Distribution '{d.Name}': count range {d.MinCount}..{d.MaxCount} must lie in 1..6.");
        if (d.MinNumber > d.MaxNumber || d.MinTarget > d.MaxTarget)
            throw new ArgumentException($"Distribution '{d.Name}': empty number or target range.");
        if (d.Rule == TargetRule.RandomPositiveIntegerExpression && d.MinNumber < 1)
            throw new ArgumentException($"Distribution '{d.Name}': positive-integer expressions need numbers >= 1.");
    }
}
