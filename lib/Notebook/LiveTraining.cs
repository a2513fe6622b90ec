// Progress sinks for notebook cells: a training view that redraws the curves in place after each step, and an
// evaluation status line; both report at once, on the cell's thread (SyncProgress).
using Grpo.Countdown;
using Grpo.Evaluation;
using Grpo.Reports;
using Grpo.Training;
using Plotly.NET;

namespace Grpo.Notebook;

/// <summary>Collects each step's metrics and hands a fresh <see cref="Charts.TrainingCurves"/> chart and a status
/// line to the notebook (which shows them with display handles), every <paramref name="every"/> steps. A resumed run
/// passes its metrics so far as <paramref name="history"/>: the chart continues them, and the time left is estimated
/// from this session's steps only.</summary>
public sealed class LiveTraining(Action<GenericChart> showChart, Action<string> showStatus, int every = 1,
                                 IEnumerable<MetricsRow>? history = null) : IProgress<GrpoProgress>
{
    readonly List<MetricsRow> rows = history?.OrderBy(r => r.Step).ToList() ?? [];
    readonly DateTime started = DateTime.UtcNow;
    int firstStep = -1;

    public IReadOnlyList<MetricsRow> Rows => rows;

    /// <summary>The chart of the steps so far (the history of a resumed run, or empty).</summary>
    public GenericChart Chart() => Charts.TrainingCurves(rows);

    public void Report(GrpoProgress p)
    {
        if (firstStep < 0) firstStep = p.Step;
        rows.Add(new MetricsRow(p.Step, p.Metrics.GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => g.Last().Value)));
        var last = rows[^1];
        var elapsed = DateTime.UtcNow - started;
        int done = p.Step - firstStep + 1;
        var left = p.Step < p.MaxSteps ? TimeSpan.FromTicks(elapsed.Ticks / done * (p.MaxSteps - p.Step)) : TimeSpan.Zero;
        showStatus($"step {p.Step}/{p.MaxSteps}  reward {Fmt(last[MetricNames.Reward])}  " +
                   $"accuracy {Fmt(last[MetricNames.RewardMean(CountdownRewards.EquationRewardName)])}  " +
                   $"length {Fmt(last[MetricNames.MeanLength])}  elapsed {Clock(elapsed)}" +
                   (p.Step < p.MaxSteps ? $"  about {Clock(left)} left" : "  done") +
                   (p.CheckpointSaved is { } c ? $"  saved {Path.GetFileName(c)}" : ""));
        if (p.Step % every == 0 || p.Step == p.MaxSteps) showChart(Chart());
    }

    static string Clock(TimeSpan t) => t.TotalHours >= 1 ? $"{(int)t.TotalHours}:{t:mm\\:ss}" : t.ToString("mm\\:ss");
    static string Fmt(double? v) => v is { } x ? x.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture) : "-";
}

/// <summary>Status line for evaluations: phase, problems done, elapsed.</summary>
public static class EvalStatus
{
    public static IProgress<EvalProgress> To(Action<string> show) => new SyncProgress<EvalProgress>(p =>
        show($"{p.Checkpoint}: {p.Phase} {p.Done}/{p.Total}  elapsed {p.Elapsed:mm\\:ss}"));
}
