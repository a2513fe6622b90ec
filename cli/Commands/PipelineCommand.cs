// `pipeline`: the README's main job. No arguments: the embedded tiny model on CPU, end to end, in minutes.
using System.ComponentModel;
using Grpo.Evaluation;
using Grpo.Pipeline;
using Grpo.Reports;
using Grpo.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Grpo.Cli.Commands;

public sealed class PipelineCommand : Command<PipelineCommand.Settings>
{
    /// <summary>The GRPO flags of <see cref="GrpoSettings"/> (a rerun continues the run: give it the same ones) plus
    /// the evaluation's.</summary>
    public sealed class Settings : RunSettings
    {
        [CommandOption("--test-file <FILE>"), Description("Parquet of held-out problems (default: the distribution's test.parquet).")]
        public string? TestFile { get; init; }
        [CommandOption("--eval-problems <N>"), Description("Held-out problems each evaluation scores (default 500).")] public int? EvalProblems { get; init; }
        [CommandOption("--eval-samples <K>"), Description("Sampled completions per problem in evaluation (0 = greedy only).")]
        public int? EvalSamples { get; init; }

        public override ValidationResult Validate() => SyntheticToken is not null
            ? ValidationResult.Error("--synthetic-token: the pipeline trains and evaluates Countdown; use train --synthetic-token")
            : ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellationToken)
    {
        var config = ConfigFrom(s);
        PipelineSummary? summary = null;
        ProgressObserver? observer = null;
        using var stop = StopSignals.Listen(cancellationToken);
        try
        {
            AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .Start(ctx => summary = PipelineRunner.Run(config, observer = new ProgressObserver(ctx), stop.Token));
        }
        catch (OperationCanceledException)
        {
            AnsiConsole.MarkupLine($"[yellow]Stopped during {Markup.Escape(observer?.CurrentStage ?? "start-up")}.[/] " +
                "Run the same command again to continue (finished evaluations are kept).");
            AnsiConsole.MarkupLine($"  training then: {Markup.Escape(CountdownRun.Inspect(config.Run, resume: true).Describe())}");
            return stop.ExitCode;
        }

        var table = new Table().Title($"Run {Markup.Escape(summary!.Run.Root)} ({summary.Minutes:F1} min)")
            .AddColumns("checkpoint", "step", "greedy accuracy", "sampled accuracy", "pass@k", "format rate");
        foreach (var r in summary.Evals)
            table.AddRow(r.Checkpoint, r.Step.ToString(), $"{r.Accuracy:P1}", r.Sampled is { } sm ? $"{sm.MeanAccuracy:P1}" : "-",
                r.Sampled is { } sp ? $"{sp.PassAtK:P1} (k={sp.K})" : "-", $"{r.FormatRate:P1}");
        AnsiConsole.Write(table);
        // The report's summary in the terminal too: what rose, what fell, and whether it is more than noise.
        foreach (var sentence in RunSummary.ForRun(summary.Run)?.Sentences ?? []) AnsiConsole.WriteLine(sentence);
        AnsiConsole.MarkupLineInterpolated($"aha-moment hits: {summary.AhaHits}; report: [link]{summary.ReportPath}[/]");
        return 0;
    }

    /// <summary>The preset's pipeline (run folder runs/&lt;name&gt;) with the shared GRPO flags (GrpoSettings.Apply) and
    /// the evaluation flags over it; PipelineRunner validates it before any work.</summary>
    public static PipelineConfig ConfigFrom(Settings s)
    {
        var config = PipelineConfig.ForPreset(s.Preset, s.Name);
        var run = s.Apply(config.Run);
        return config with
        {
            Run = run with { Grpo = run.Grpo with { OutputDir = config.Run.Grpo.OutputDir } },
            TestFile = s.TestFile ?? config.TestFile,
            EvalProblems = s.EvalProblems ?? config.EvalProblems,
            EvalSamples = s.EvalSamples ?? config.EvalSamples,
        };
    }

    /// <summary>One progress bar per stage; evaluation bars are keyed by checkpoint and decoding.</summary>
    sealed class ProgressObserver(ProgressContext ctx) : IPipelineObserver
    {
        readonly Dictionary<string, ProgressTask> tasks = new();
        int grpoBase = -1;

        public string? CurrentStage { get; private set; }

        ProgressTask Task(string key, double max)
        {
            if (!tasks.TryGetValue(key, out var t)) tasks[key] = t = ctx.AddTask(Markup.Escape(key), maxValue: max);
            return t;
        }

        public void Stage(string name, string detail)
        {
            tasks.Values.StopAll();   // the bars of earlier stages are done: their clocks stop
            CurrentStage = name;
            AnsiConsole.MarkupLineInterpolated($"[bold]{name}[/]: {detail}");
        }

        public void Eval(EvalProgress p) => Task($"eval {p.Checkpoint} ({p.Phase})", p.Total).MoveTo(p.Done);

        public void Train(GrpoProgress p)
        {
            // The bar counts this session's steps, so a resumed run's time-left estimate starts from real step times.
            if (grpoBase < 0) grpoBase = p.Step - 1;
            var t = Task("grpo", p.MaxSteps - grpoBase);
            t.MoveTo(p.Step - grpoBase);
            t.Description = Markup.Escape($"grpo step {p.Step}/{p.MaxSteps} reward {p[MetricNames.Reward]:F2}");
            if (p.CheckpointSaved is { } c) AnsiConsole.MarkupLineInterpolated($"[grey]saved {c}[/]");
        }
    }
}
