// Group-relative advantages of GRPO (TRL's _generate_and_score_completions): each completion's reward
// compared with the other completions of the same prompt. Small host arrays: B*G numbers per step.
namespace Grpo.Training;

public sealed record AdvantageResult(double[] Advantages, double[] GroupMeans, double[] GroupStds, bool[] GroupHasSignal)
{
    /// <summary>TRL's reward_std metric: the mean of the per-group standard deviations.</summary>
    public double MeanGroupStd => GroupStds.Length == 0 ? 0 : GroupStds.Average();

    /// <summary>TRL's frac_reward_zero_std: share of groups whose rewards are all equal (no learning signal).</summary>
    public double FracZeroStd => GroupHasSignal.Length == 0 ? 0 : GroupHasSignal.Count(s => !s) / (double)GroupHasSignal.Length;
}

public static class Advantages
{
    /// <summary>As TRL: std + 1e-4 in the denominator, so a group of equal rewards gets advantage 0, not NaN.</summary>
    public const double StdEpsilon = 1e-4;

    /// <summary>
    /// rewards are laid out prompt-major (G consecutive completions per prompt). advantage = r - mean(group), divided by
    /// (std + 1e-4) where std is the group's (scale "group"), the whole batch's ("batch") or nothing ("none").
    /// std is torch.std's default (Bessel-corrected, n-1), as TRL computes it.
    /// </summary>
    public static AdvantageResult Compute(IReadOnlyList<double> rewards, int groupSize, string scaleRewards = "group")
    {
        if (groupSize < 1 || rewards.Count % groupSize != 0)
            throw new ArgumentException($"{rewards.Count} rewards do not split into groups of {groupSize}");
        int groups = rewards.Count / groupSize;
        var means = new double[groups];
        var stds = new double[groups];
        var signal = new bool[groups];
        for (int g = 0; g < groups; g++)
        {
            var slice = Enumerable.Range(g * groupSize, groupSize).Select(i => rewards[i]).ToArray();
            means[g] = slice.Average();
            stds[g] = SampleStd(slice);
            // TRL: is_std_zero = torch.isclose(std, 0); exact equality of the rewards is the meaning.
            signal[g] = slice.Any(r => r != slice[0]);
        }
        double batchStd = SampleStd(rewards.ToArray());
        var adv = new double[rewards.Count];
        for (int i = 0; i < rewards.Count; i++)
        {
            int g = i / groupSize;
            double centred = rewards[i] - means[g];
            adv[i] = scaleRewards switch
            {
                "group" => centred / (stds[g] + StdEpsilon),
                "batch" => centred / (batchStd + StdEpsilon),
                "none" => centred,
                _ => throw new ArgumentException($"scale_rewards must be group, batch or none (got '{scaleRewards}')"),
            };
            if (!signal[g]) adv[i] = 0.0;  // exact zero even where float rounding leaves a tiny centred value
        }
        return new AdvantageResult(adv, means, stds, signal);
    }

    /// <summary>Bessel-corrected standard deviation (torch.std default); 0 for a single value.</summary>
    public static double SampleStd(IReadOnlyList<double> xs)
    {
        if (xs.Count < 2) return 0.0;
        double mean = xs.Average();
        double ss = xs.Sum(x => (x - mean) * (x - mean));
        return Math.Sqrt(ss / (xs.Count - 1));
    }
}
