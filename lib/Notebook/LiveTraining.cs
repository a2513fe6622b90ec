// Progress sinks for notebook cells: a training view that redraws the curves in place after each step, and an
// evaluation status line; both report at once, on the cell's thread (SyncProgress). LiveTraining.Run is notebook 03's
// training cell.
using Grpo.Countdown;
using Grpo.Evaluation;
using Grpo.Pipeline;
using Grpo.Reports;
using Grpo.Training;
using Plotly.NET;

namespace Grpo.Notebook;

/// <summary>Collects each step's metrics and hands a fresh <see cref="Charts.TrainingCurves"/> chart and a status
/// line to the notebook (which shows them with display handles), every <paramref name="every"/> steps. A resumed run
/// passes its metrics so far as <paramref name="history"/>: the chart continues them, and the time left is estimated
/// from this session's steps only. <paramref name="time"/> is the clock of the elapsed and remaining times (the
/// system's unless a test hands in another).</summary>
public sealed class LiveTraining(Action<GenericChart> showChart, Action<string> showStatus, int every = 1,
                                 IEnumerable<MetricsRow>? history = null, TimeProvider? time = null) : IProgress<GrpoProgress>
{
    readonly List<MetricsRow> rows = history?.OrderBy(r => r.Step).ToList() ?? [];
    readonly TimeProvider clock = time ?? TimeProvider.System;
    readonly long started = (time ?? TimeProvider.System).GetTimestamp();
    int firstStep = -1;

    public IReadOnlyList<MetricsRow> Rows => rows;

    /// <summary>Trains the run of <paramref name="config"/> (its output_dir) with the curves redrawn in place: says first
    /// whether it starts, resumes from a checkpoint (<paramref name="resume"/>) or finds the run finished (then only the
    /// saved curves show). A run folder trained with other settings stops here, naming the fields: training on would
    /// mix them. <paramref name="show"/> displays a value in the cell and returns what replaces it (a notebook passes
    /// <c>value => KernelInvocationContext.Current.Display(value).Update</c>).</summary>
    public static void Run(CountdownRunConfig config, bool resume, Func<object, Action<object>> show)
    {
        var start = CountdownRun.Inspect(config, resume).RequireSameSettings();
        using var trainer = CountdownRun.Create(config, resume: resume);
        var history = RunFiles.ReadMetricsIfAny(new RunFolder(config.Grpo.OutputDir));   // a resumed run's steps up to its checkpoint
        Console.WriteLine(start.Describe() + (start.Finished
            ? ": the chart shows the saved run. Raise maxSteps to train on, or change runDir to start a new run." : ""));
        var chart = show(Charts.TrainingCurves(history));
        var status = show(start.Finished ? "nothing to train" : "the first step is running…");
        trainer.Train(new LiveTraining(c => chart(c), s => status(s), history: history));
    }

    /// <summary>The chart of the steps so far (the history of a resumed run, or empty).</summary>
    public GenericChart Chart() => Charts.TrainingCurves(rows);

    public void Report(GrpoProgress p)
    {
        if (firstStep < 0) firstStep = p.Step;
        rows.Add(new MetricsRow(p.Step, p.Metrics.GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => g.Last().Value)));
        var last = rows[^1];
        var elapsed = clock.GetElapsedTime(started);
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
