// `eval`: accuracy of one model folder (--model) or of a run's base model and every checkpoint (--run) on a Parquet test set.
using System.ComponentModel;
using Grpo.Evaluation;
using Grpo.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Grpo.Cli.Commands;

public sealed class EvalCommand : Command<EvalCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--model <DIR>"), Description("Model folder (Hugging Face layout) or one checkpoint-N folder.")]
        public string? Model { get; init; }

        [CommandOption("--run <DIR>"), Description("Run folder: evaluates the base model and every checkpoints/checkpoint-N into eval/.")]
        public string? Run { get; init; }

        [CommandOption("--base <DIR>"), Description("With --run: base model folder, when the run's config.json does not name it.")]
        public string? Base { get; init; }

        [CommandOption("--eval-dir <NAME>"), Description("With --run: the run's subfolder for eval files (default eval, which reports read; e.g. eval-full for a second test set).")]
        [DefaultValue(RunFolder.DefaultEvalDir)] public string EvalDir { get; init; } = RunFolder.DefaultEvalDir;

        [CommandOption("--force"), Description("With --run: re-evaluate checkpoints whose eval file already exists.")]
        public bool Force { get; init; }

        [CommandOption("--test <FILE>"), Description("Parquet test set (default data/countdown/easy/test.parquet).")]
        public string? Test { get; init; }

        [CommandOption("-n|--num-problems <N>"), Description("First N problems of the test set (0 = all; default 500).")]
        public int? N { get; init; }

        [CommandOption("--batch-size <N>"), Description("Sequences per generate call (default 64).")]
        public int? BatchSize { get; init; }

        [CommandOption("--max-new-tokens <N>"), Description("Completion length limit (default 1024).")]
        public int? MaxNewTokens { get; init; }

        [CommandOption("--template <NAME>"), Description("Prompt template: chinese (default) or english.")]
        public string? Template { get; init; }

        [CommandOption("--no-greedy"), Description("Skip greedy decoding (then the first sample stands in for score).")]
        public bool NoGreedy { get; init; }

        [CommandOption("--samples <K>"), Description("Also sample K completions per problem: mean accuracy and pass@K.")]
        public int? Samples { get; init; }

        [CommandOption("--temperature <T>"), Description("Sampling temperature (default 1.0).")]
        public float? Temperature { get; init; }

        [CommandOption("--top-p <P>"), Description("Nucleus sampling threshold (default 1.0).")]
        public float? TopP { get; init; }

        [CommandOption("--seed <SEED>"), Description("Seed of sampled decoding (default 42).")]
        public long? Seed { get; init; }

        [CommandOption("--dtype <DTYPE>"), Description("float32 (default), bfloat16 or float16.")]
        public string? Dtype { get; init; }

        [CommandOption("--device <DEVICE>"), Description("cpu (default) or cuda[[:N]].")]
        public string? Device { get; init; }

        [CommandOption("--name <NAME>"), Description("With --model: checkpoint name in the eval file (default: the folder's name).")]
        public string? Name { get; init; }

        [CommandOption("--out <FILE>"), Description("With --model: output JSON (default <run>/eval/checkpoint-N.json for a run's checkpoint).")]
        public string? Out { get; init; }

        public override ValidationResult Validate() =>
            (Model is null) == (Run is null) ? ValidationResult.Error("Give exactly one of --model DIR or --run DIR.")
            : !RunFolder.IsEvalDirName(EvalDir)
                ? ValidationResult.Error($"--eval-dir '{EvalDir}': give a plain folder name inside the run (not one the run already uses, such as checkpoints).")
                : ValidationResult.Success();
    }

    /// <summary>Defaults, then the run's own decoding settings (template, completion length, dtype, device) when
    /// evaluating a run or one of its checkpoints, then the flags given.</summary>
    public static EvalConfig ConfigFrom(Settings s)
    {
        var runFolder = s.Run is not null ? new RunFolder(s.Run) : s.Model is null ? null : RunFolder.OfCheckpoint(s.Model);
        var d = (runFolder is null ? null : EvalConfig.FromRun(runFolder)) ?? EvalConfig.Default;
        return d with
        {
            TestFile = s.Test ?? d.TestFile, NumProblems = s.N ?? d.NumProblems, BatchSize = s.BatchSize ?? d.BatchSize,
            MaxNewTokens = s.MaxNewTokens ?? d.MaxNewTokens, Template = s.Template ?? d.Template, Greedy = !s.NoGreedy,
            Samples = s.Samples ?? d.Samples, Temperature = s.Temperature ?? d.Temperature, TopP = s.TopP ?? d.TopP,
            Seed = s.Seed ?? d.Seed, Dtype = s.Dtype ?? d.Dtype, Device = s.Device ?? d.Device,
        };
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var config = ConfigFrom(settings);
        config.Validate();
        if (settings.Name is not null) Grpo.Files.InputPaths.PlainName(settings.Name, "--name");
        if (settings.Out is not null) Grpo.Files.OutputPaths.CheckFile(settings.Out, "--out");
        if (settings.Run is not null) Grpo.Files.OutputPaths.CheckFolder(new RunFolder(settings.Run).EvalDir(settings.EvalDir), "--eval-dir");
        var results = new List<(string Name, EvalResult Result, bool Skipped)>();
        AnsiConsole.Progress().AutoClear(false).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(),
                new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var tasks = new Dictionary<string, ProgressTask>();
                var progress = new SyncProgress<EvalProgress>(p =>
                {
                    var key = $"{p.Checkpoint} {p.Phase}";
                    if (!tasks.TryGetValue(key, out var task)) tasks[key] = task = ctx.AddTask(Markup.Escape(key), maxValue: p.Total);
                    task.MoveTo(p.Done);   // a finished bar stops its clock
                });
                if (settings.Run is not null)
                {
                    foreach (var (c, r, skipped) in Evaluator.EvaluateRun(new RunFolder(settings.Run), config, settings.Base, settings.Force, progress, cancellationToken, settings.EvalDir))
                        results.Add((c.Name, r, skipped));
                    return;
                }
                var modelDir = settings.Model!;
                var name = settings.Name ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(modelDir)));
                var step = RunFolder.StepOf(name) ?? 0;
                var result = Evaluator.EvaluateModel(modelDir, config, name, step, progress, cancellationToken);
                var outPath = settings.Out ?? DefaultOut(modelDir, name);
                if (outPath is not null) result.Save(outPath);
                AnsiConsole.MarkupLine(outPath is null ? "[grey]no --out given and the model is not a run's checkpoint: nothing written[/]"
                    : $"wrote [green]{Markup.Escape(outPath)}[/]");
                results.Add((name, result, false));
            });
        PrintSummary(results);
        foreach (var (name, r, skipped) in results)
            if (!skipped && r.MaxNewTokens < config.MaxNewTokens)
                AnsiConsole.MarkupLine($"[yellow]note:[/] {Markup.Escape(name)}: max_new_tokens lowered from {config.MaxNewTokens} to " +
                    $"{r.MaxNewTokens}, so that the longest prompt and its completion fit the model's max_position_embeddings");
        return 0;
    }

    /// <summary>runs/X/checkpoints/checkpoint-N -> runs/X/eval/checkpoint-N.json, so a rerun replaces that checkpoint's file.</summary>
    static string? DefaultOut(string modelDir, string name) =>
        RunFolder.OfCheckpoint(modelDir)?.EvalPath(name);

    static void PrintSummary(List<(string Name, EvalResult Result, bool Skipped)> results)
    {
        var table = new Table().Title("Evaluation").AddColumns("checkpoint", "step", "n", "greedy", "format", "sampled", "pass@k", "n/s");
        foreach (var (name, r, skipped) in results)
        {
            var s = r.Sampled;
            var rate = !skipped && r.ElapsedSeconds is > 0 ? (r.NumProblems / r.ElapsedSeconds.Value).ToString("F2") : "";
            table.AddRow(Markup.Escape(name) + (skipped ? " [grey](file)[/]" : ""), r.Step.ToString(), r.NumProblems.ToString(),
                r.Accuracy.ToString("P1"), r.FormatRate.ToString("P1"), s is null ? "-" : s.MeanAccuracy.ToString("P1"),
                s is null ? "-" : $"{s.PassAtK:P1} @{s.K}", rate);
        }
        AnsiConsole.Write(table);
        if (results.Any(r => r.Skipped))
            AnsiConsole.MarkupLine("[grey](file): an eval file existed and was kept as it is (its own n and decoding); --force re-evaluates.[/]");
    }
}
