// `train`: GRPO from a preset (tiny | qwen2.5-7b), a JSON config file and flags, into runs/<name>/; --resume continues
// from the run's last complete checkpoint. Progress bar per optimizer step; every computation lives in Grpo.Training.
using System.ComponentModel;
using System.Globalization;
using Grpo.Pipeline;
using Grpo.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Grpo.Cli.Commands;

public sealed class TrainCommand : Command<TrainCommand.Settings>
{
    /// <summary>The GRPO flags of <see cref="GrpoSettings"/> and the run name plus what only `train` has.</summary>
    public sealed class Settings : RunSettings
    {
        [CommandOption("--run-dir <DIR>"), Description("Run folder (overrides --name).")]
        public string? RunDir { get; init; }
        [CommandOption("--resume"), Description("Continue the run in the run folder from its last complete checkpoint (its config.json is the basis).")]
        public bool Resume { get; init; }
        [CommandOption("--quiet"), Description("No progress bar: one log line per step (for logs and benchmarks).")]
        public bool Quiet { get; init; }
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellationToken)
    {
        var runConfig = ConfigFrom(s);
        var config = runConfig.Grpo;
        var run = config.Run;
        AnsiConsole.MarkupLine($"[bold]GRPO[/] {Markup.Escape(config.ModelNameOrPath)} -> [blue]{Markup.Escape(run.Root)}[/]" +
            $" | {config.MaxSteps} steps, B={config.PromptsPerStep} x G={config.NumGenerations}, lr {config.LearningRate:G3}, beta {config.Beta:G3}" +
            $"{(config.UsePeft ? $", LoRA r={config.LoraR}" : "")}, {config.Device}/{config.Dtype}");

        // Before Create, which drops steps logged after the checkpoint. A synthetic task keeps no settings of its own.
        RunStart Inspect(bool resume) => s.SyntheticToken is null ? CountdownRun.Inspect(runConfig, resume) : RunStart.Inspect(config, resume);
        var start = Inspect(s.Resume);
        Action<string> warn = w => AnsiConsole.MarkupLine($"[yellow]warning:[/] {Markup.Escape(w)}");
        using var trainer = s.SyntheticToken is not null
            ? GrpoRun.Create(config, () => s.SyntheticTaskFor(config), s.Resume, warn)
            : CountdownRun.Create(runConfig, s.Resume, warn);
        // A damaged newest checkpoint was set aside: the run continues from the one the trainer restored.
        if (s.Resume && trainer.GlobalStep != start.Step) start = start with { CheckpointStep = trainer.GlobalStep > 0 ? trainer.GlobalStep : null };
        AnsiConsole.MarkupLine(Markup.Escape(start.Describe()));
        var started = DateTime.UtcNow;
        int firstStep = trainer.GlobalStep;
        GrpoProgress? last = null;
        using var stop = StopSignals.Listen(cancellationToken);
        try
        {
            if (s.Quiet)
                trainer.Train(new SyncProgress<GrpoProgress>(p =>
                {
                    last = p;
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"step {p.Step}/{p.MaxSteps} reward {p[MetricNames.Reward]:F3} len {p[MetricNames.MeanLength]:F1} step_time {p[MetricNames.StepTime]:F2}s rss {p[MetricNames.ProcessMemoryMb]:F0}MB{(p.CheckpointSaved is null ? "" : " saved " + p.CheckpointSaved)}"));
                }), stop.Token);
            else
                AnsiConsole.Progress()
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                    .Start(ctx =>
                    {
                        // The bar counts this session's steps: a resumed run's earlier steps would read as done in
                        // no time and make the time-left estimate far too short.
                        var task = ctx.AddTask("GRPO", maxValue: config.MaxSteps - firstStep);
                        trainer.Train(new SyncProgress<GrpoProgress>(p =>
                        {
                            last = p;
                            task.MoveTo(p.Step - firstStep);
                            task.Description = string.Create(CultureInfo.InvariantCulture,
                                $"step {p.Step}/{p.MaxSteps} reward {p[MetricNames.Reward]:F2} len {p[MetricNames.MeanLength]:F0} {p[MetricNames.StepTime]:F1}s/step");
                            if (p.CheckpointSaved is not null)
                                AnsiConsole.MarkupLine($"[green]saved[/] {Markup.Escape(p.CheckpointSaved)}");
                        }), stop.Token);
                    });
        }
        catch (OperationCanceledException)
        {
            AnsiConsole.MarkupLine($"[yellow]Stopped at step {trainer.GlobalStep}.[/] Continue with: grpo train --run-dir {Markup.Escape(run.Root)} --resume");
            AnsiConsole.MarkupLine($"  (that is: {Markup.Escape(Inspect(resume: true).Describe())})");
            return stop.ExitCode;
        }

        var table = new Table().AddColumns("run", "steps", "reward (last step)", "checkpoints", "time");
        var checkpoints = string.Join(", ", run.CompleteCheckpoints().Select(c => c.Name));
        table.AddRow(Markup.Escape(run.Root), $"{firstStep} -> {trainer.GlobalStep}",
            last is null ? "-" : last[MetricNames.Reward].ToString("F3", CultureInfo.InvariantCulture), Markup.Escape(checkpoints),
            $"{(DateTime.UtcNow - started).TotalMinutes:F1} min");
        AnsiConsole.Write(table);
        return 0;
    }

    /// <summary>Preset (or the run's own config.json on --resume), then the shared GRPO flags (GrpoSettings.Apply);
    /// validated once at the end, naming the snake_case field.</summary>
    public static CountdownRunConfig ConfigFrom(Settings s)
    {
        var run = s.RunDir is not null ? new RunFolder(s.RunDir)
            : RunFolder.Named(s.Name ?? $"{s.Preset.ToLowerInvariant()}-{DateTime.Now:yyyyMMdd-HHmmss}", "--name");
        if (string.IsNullOrWhiteSpace(run.Root)) throw new BadInputException("--run-dir is empty");
        Grpo.Files.OutputPaths.CheckFolder(run.Root, s.RunDir is not null ? "--run-dir" : "--name");
        CountdownRunConfig basis;
        if (s.Resume)
        {
            // A resume continues the run as it was configured: without its config.json the settings would be a guess.
            if (!Directory.Exists(run.Root))
                throw new BadInputException($"--resume: no run folder {run.Root} (give the --name or --run-dir of an existing run)");
            if (!File.Exists(run.ConfigPath))
                throw new BadInputException($"--resume: {run.ConfigPath} not found; a run cannot be resumed without the config it was started with");
            basis = CountdownRunConfig.Load(run.ConfigPath, validate: false);
        }
        else basis = CountdownRunConfig.ByName(s.Preset);
        var config = s.Apply(basis);
        return (config with { Grpo = config.Grpo with { OutputDir = run.Root } }).Validated();
    }
}
