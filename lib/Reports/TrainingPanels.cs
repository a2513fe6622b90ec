// Which training curves a run gets, panel by panel, from the metric names in its metrics.jsonl (TRL's names plus the
// behaviour/* metrics of docs/behaviour-metrics.md). Charts.TrainingCurves draws them; a panel without data is left out.
using Grpo.Training;

namespace Grpo.Reports;

/// <summary>One metric of a panel: its metrics.jsonl name and its legend label.</summary>
public sealed record CurveSeries(string Metric, string Label);

/// <summary>One panel of the training curves: a title that says what is plotted (and its unit) and its series.</summary>
public sealed record CurvePanel(string Title, IReadOnlyList<CurveSeries> Series);

public static class TrainingPanels
{
    /// <summary>The panels for these rows, in reading order: reward (sum and each reward function), share of groups
    /// without signal, KL (only when some step logged a non-zero value, i.e. beta &gt; 0), entropy, completion length
    /// (all, correct, wrong), the per-step behaviour shares, and recoveries. Series whose metric no row has are
    /// dropped, then panels left empty.</summary>
    public static IReadOnlyList<CurvePanel> For(IReadOnlyList<MetricsRow> rows)
    {
        var present = rows.SelectMany(r => r.Values.Keys).ToHashSet(StringComparer.Ordinal);
        // Reward functions in the order the trainer logs them (the order of reward_funcs).
        var rewardFunctions = rows.SelectMany(r => r.Values.Keys).Distinct()
            .Select(k => MetricNames.RewardNameOf(k) is { } name ? new CurveSeries(k, name) : null).OfType<CurveSeries>();
        bool klLogged = rows.Any(r => r[MetricNames.Kl] is { } kl && kl != 0);
        var panels = new List<CurvePanel>
        {
            new("reward: sum and each reward function (mean over the step's completions)",
                [new(MetricNames.Reward, "reward (sum)"), .. rewardFunctions]),
            new("frac_reward_zero_std: share of groups whose completions all scored the same (no learning signal)",
                [new(MetricNames.FracRewardZeroStd, MetricNames.FracRewardZeroStd)]),
            new("kl: k3 estimate of the KL divergence to the reference model", klLogged ? [new(MetricNames.Kl, MetricNames.Kl)] : []),
            new("entropy: mean per completion token (nats)", [new(MetricNames.Entropy, MetricNames.Entropy)]),
            new("completion length (tokens): all, correct, wrong",
                [new(MetricNames.MeanLength, "length (all)"), new("behaviour/length_correct", "length (correct)"),
                 new("behaviour/length_wrong", "length (wrong)")]),
            new("behaviour per step (shares; docs/behaviour-metrics.md)",
                [new("behaviour/reflection_rate", "reflection rate"), new("behaviour/faithful_steps", "faithful steps"),
                 new("behaviour/answer_follows_reasoning", "answer follows reasoning")]),
            new("recoveries per 100 completions", [new("behaviour/recoveries_per_100", "recoveries / 100")]),
        };
        return panels.Select(p => p with { Series = p.Series.Where(s => present.Contains(s.Metric)).ToList() })
            .Where(p => p.Series.Count > 0).ToList();
    }
}
