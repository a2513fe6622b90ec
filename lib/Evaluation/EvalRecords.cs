// Scores generated completions with the Countdown rewards and sums them up into accuracy, format rate and pass@k.
using Grpo.Countdown;

namespace Grpo.Evaluation;

public static class EvalRecords
{
    /// <summary>One record: score and gen_calculation from the equation reward, format_reward from the format
    /// reward, both on the completion text after the prompt's "&lt;think&gt;" (design §4).</summary>
    public static EvalRecord Build(int testId, CountdownProblem problem, string prompt, string generation,
        IReadOnlyList<string>? sampledGenerations = null)
    {
        var equation = CountdownRewards.EquationReward(generation, problem.Nums, problem.Target);
        var sampled = sampledGenerations?.Select(g => CountdownRewards.EquationReward(g, problem.Nums, problem.Target).Reward).ToArray();
        return new EvalRecord(testId, equation.Reward, prompt, problem.Nums.ToArray(), generation, equation.Value, problem.Target,
            CountdownRewards.FormatReward(generation), sampled);
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
        return new SampledSummary(k, temperature, topP, scores.SelectMany(s => s).Average(), scores.Average(s => s.Any(x => x >= 1) ? 1.0 : 0.0));
    }
}
