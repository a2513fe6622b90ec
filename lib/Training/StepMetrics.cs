// What RunLog writes for one optimizer step: the metrics under TRL's names (MetricNames, the one spelling of each key
// that readers use too) and the one-line summary logs/train.log gets.
using System.Diagnostics;

namespace Grpo.Training;

/// <summary>metrics.jsonl's keys (TRL's GRPOTrainer names where TRL logs the same quantity).</summary>
public static class MetricNames
{
    public const string Reward = "reward", RewardStd = "reward_std", FracRewardZeroStd = "frac_reward_zero_std", Kl = "kl";
    public const string MeanLength = "completions/mean_length", MinLength = "completions/min_length",
        MaxLength = "completions/max_length", MeanTerminatedLength = "completions/mean_terminated_length",
        ClippedRatio = "completions/clipped_ratio";
    public const string ClipRatio = "clip_ratio", ClipRatioLow = "clip_ratio/low_mean", ClipRatioHigh = "clip_ratio/high_mean";
    public const string Entropy = "entropy", LearningRate = "learning_rate", Loss = "loss", GradNorm = "grad_norm",
        UpdateSkipped = "update_skipped";
    public const string StepTime = "step_time", GenerationTime = "time/generation", ReferenceTime = "time/reference",
        UpdateTime = "time/update", TokensPerSecond = "tokens_per_second", ProcessMemoryMb = "process_memory_mb";
    public const string DynamicSamplingDraws = "dynamic_sampling/draws", DynamicSamplingGroupsTrained = "dynamic_sampling/groups_trained";
    // Rollouts from a server (use_vllm): how far its log-probs are from the trainer's, and the weight sync's time.
    public const string SamplingLogpDifferenceMean = "sampling/sampling_logp_difference/mean",
        SamplingLogpDifferenceMax = "sampling/sampling_logp_difference/max", SamplingKl = "sampling/kl",
        ImportanceSamplingRatioMin = "sampling/importance_sampling_ratio/min",
        ImportanceSamplingRatioMean = "sampling/importance_sampling_ratio/mean",
        ImportanceSamplingRatioMax = "sampling/importance_sampling_ratio/max", WeightSyncTime = "time/weight_sync";

    const string RewardPrefix = "rewards/", RewardSuffix = "/mean";

    /// <summary>rewards/&lt;name&gt;/mean: a reward function's mean over the step's completions.</summary>
    public static string RewardMean(string rewardName) => RewardPrefix + rewardName + RewardSuffix;

    /// <summary>The reward function a rewards/&lt;name&gt;/mean key names; null for any other key.</summary>
    public static string? RewardNameOf(string key) =>
        key.Length > RewardPrefix.Length + RewardSuffix.Length && key.StartsWith(RewardPrefix, StringComparison.Ordinal)
            && key.EndsWith(RewardSuffix, StringComparison.Ordinal) ? key[RewardPrefix.Length..^RewardSuffix.Length] : null;
}

/// <summary>What the update of one optimizer step measured (token means over the micro-batches); Sampling: the
/// sampler/trainer mismatch when a server sampled (SamplerMismatch).</summary>
internal sealed record UpdateResult(double Loss, double GradNorm, double Kl, double Entropy, double ClipLow, double ClipHigh,
    double LearningRate, bool Skipped, IReadOnlyList<KeyValuePair<string, double>>? Sampling = null);

/// <summary>Seconds each part of a step took (generation and reference count on the first step of a generation batch);
/// WeightSync: handing a rollout server the weights (null without one).</summary>
internal sealed record StepTimes(double Generation, double Reference, double Update, double Step, double? WeightSync = null);

internal static class StepMetrics
{
    /// <summary>The step's metrics in metrics.jsonl's order: rewards (each function's mean), signal, KL when beta &gt; 0,
    /// completion lengths (of everything generated), clipping, entropy, schedule, loss, times and memory.</summary>
    public static List<KeyValuePair<string, double>> Build(IReadOnlyList<string> rewardNames, double[] total, double[][] perFunction,
        AdvantageResult adv, IReadOnlyList<(int Length, bool Finished)> completions, UpdateResult u, bool withKl, StepTimes t)
    {
        var m = new List<KeyValuePair<string, double>>
        {
            new(MetricNames.Reward, total.Average()),
            new(MetricNames.RewardStd, adv.MeanGroupStd),
        };
        for (int f = 0; f < rewardNames.Count; f++)
            m.Add(new(MetricNames.RewardMean(rewardNames[f]), perFunction[f].Average()));
        m.Add(new(MetricNames.FracRewardZeroStd, adv.FracZeroStd));
        if (withKl) m.Add(new(MetricNames.Kl, u.Kl));
        if (u.Sampling is not null) m.AddRange(u.Sampling);
        var lengths = completions.Select(c => (double)c.Length).ToArray();
        var terminated = completions.Where(c => c.Finished).Select(c => (double)c.Length).ToArray();
        m.Add(new(MetricNames.MeanLength, lengths.Average()));
        m.Add(new(MetricNames.MinLength, lengths.Min()));
        m.Add(new(MetricNames.MaxLength, lengths.Max()));
        m.Add(new(MetricNames.MeanTerminatedLength, terminated.Length > 0 ? terminated.Average() : 0));
        m.Add(new(MetricNames.ClippedRatio, completions.Count(c => !c.Finished) / (double)completions.Count));
        m.Add(new(MetricNames.ClipRatio, u.ClipLow + u.ClipHigh));
        m.Add(new(MetricNames.ClipRatioLow, u.ClipLow));
        m.Add(new(MetricNames.ClipRatioHigh, u.ClipHigh));
        m.Add(new(MetricNames.Entropy, u.Entropy));
        m.Add(new(MetricNames.LearningRate, u.LearningRate));
        m.Add(new(MetricNames.Loss, u.Loss));
        m.Add(new(MetricNames.GradNorm, u.GradNorm));
        m.Add(new(MetricNames.UpdateSkipped, u.Skipped ? 1 : 0));
        m.Add(new(MetricNames.StepTime, t.Step));
        m.Add(new(MetricNames.GenerationTime, t.Generation));
        m.Add(new(MetricNames.ReferenceTime, t.Reference));
        m.Add(new(MetricNames.UpdateTime, t.Update));
        if (t.WeightSync is { } sync) m.Add(new(MetricNames.WeightSyncTime, sync));
        // Generated completion tokens per second of the whole step (the generation batch counts on its first step).
        m.Add(new(MetricNames.TokensPerSecond, t.Generation > 0 ? lengths.Sum() / t.Step : 0));
        using (var self = Process.GetCurrentProcess()) m.Add(new(MetricNames.ProcessMemoryMb, self.WorkingSet64 / 1048576.0));
        return m;
    }

    /// <summary>logs/train.log's line for a step: "step 3/200 | reward 1.094 (std 0.709) | format_reward 0.750 | …".</summary>
    public static string Describe(int step, int maxSteps, IReadOnlyList<string> rewardNames, bool withKl,
        IReadOnlyList<KeyValuePair<string, double>> m)
    {
        double Get(string k) => m.FirstOrDefault(kv => kv.Key == k).Value;
        var parts = new List<string> { $"step {step}/{maxSteps}", $"reward {Get(MetricNames.Reward):F3} (std {Get(MetricNames.RewardStd):F3})" };
        foreach (var name in rewardNames) parts.Add($"{name} {Get(MetricNames.RewardMean(name)):F3}");
        if (withKl) parts.Add($"kl {Get(MetricNames.Kl):G3}");
        parts.Add($"loss {Get(MetricNames.Loss):G4}");
        parts.Add($"grad_norm {Get(MetricNames.GradNorm):G3}");
        parts.Add($"len {Get(MetricNames.MeanLength):F1} (clipped {Get(MetricNames.ClippedRatio):P0})");
        parts.Add($"entropy {Get(MetricNames.Entropy):F3}");
        parts.Add($"lr {Get(MetricNames.LearningRate):G3}");
        parts.Add($"{Get(MetricNames.StepTime):F2}s (gen {Get(MetricNames.GenerationTime):F2}, ref {Get(MetricNames.ReferenceTime):F2}, update {Get(MetricNames.UpdateTime):F2})");
        parts.Add($"{Get(MetricNames.TokensPerSecond):F0} tok/s");
        parts.Add($"rss {Get(MetricNames.ProcessMemoryMb):F0} MB");
        return string.Join(" | ", parts);
    }
}
