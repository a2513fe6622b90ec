// Scores generated completions with the Countdown rewards and sums them up into accuracy, format rate and pass@k.
using Grpo.Countdown;

namespace Grpo.Evaluation;

public static class EvalRecords
{
    /// <summary>One record: score and gen_calculation from the equation reward, format_reward from the format
    /// reward, both on the completion text after the prompt's "&lt;think&gt;" (docs/countdown-rules.md).</summary>
    public static EvalRecord Build(int testId, CountdownProblem problem, string prompt, string generation,
        IReadOnlyList<string>? sampledGenerations = null)
    {
        var equation = CountdownRewards.EquationReward(generation, problem.Nums, problem.Target);
        var sampled = sampledGenerations?.Select(g => CountdownRewards.EquationReward(g, problem.Nums, problem.Target).Reward).ToArray();
        return new EvalRecord(testId, equation.Reward, prompt, problem.Nums.ToArray(), generation, equation.Value, problem.Target,
            CountdownRewards.FormatReward(generation), sampled, sampledGenerations?.ToArray());
    }

    public static double Accuracy(IReadOnlyList<EvalRecord> records) => records.Count == 0 ? 0 : records.Average(r => r.Score);

    public static double FormatRate(IReadOnlyList<EvalRecord> records) => records.Count == 0 ? 0 : records.Average(r => r.FormatReward);

    /// <summary>Mean over all samples, and pass@k = share of problems with at least one correct sample (with n = k
    /// samples the unbiased estimator 1 - C(n-c, k)/C(n, k) reduces to exactly that).</summary>
    public static SampledSummary? Sampled(IReadOnlyList<EvalRecord> records, int k, double temperature, double topP)
    {
        if (k == 0 || records.Count == 0) return null;
        var scores = records.Select(r => r.SampledScores ?? throw new InvalidOperationException(
            $"record {r.TestId} has no sampled_scores although sampling was on")).ToList();
        var passAt = new SortedDictionary<int, double>();
        for (int j = 1; j <= k; j *= 2) passAt[j] = scores.Average(s => PassAt(s.Count, s.Count(x => x >= 1), j));
        passAt[k] = scores.Average(s => PassAt(s.Count, s.Count(x => x >= 1), k));
        return new SampledSummary(k, temperature, topP, scores.SelectMany(s => s).Average(), scores.Average(s => s.Any(x => x >= 1) ? 1.0 : 0.0))
        {
            PassAt = passAt.ToDictionary(kv => kv.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), kv => kv.Value),
        };
    }

    /// <summary>Unbiased pass@j from n samples of which c are correct: 1 - C(n-c, j) / C(n, j), computed as a product
    /// to stay exact for any n.</summary>
    public static double PassAt(int n, int c, int j)
    {
        if (j > n) throw new ArgumentException($"pass@{j} needs at least {j} samples, got {n}.");
        if (n - c < j) return 1.0;
        double fail = 1.0;
        for (int i = n - c + 1; i <= n; i++) fail *= 1.0 - (double)j / i;
        return 1.0 - fail;
    }
}
